"""The feedback loop's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.feedback.model import (
    AgentMemory,
    EpisodeFeedback,
    PlanningNote,
    PlanningNoteStatus,
)
from manyfutures.core.projects.ports import ProjectStore
from manyfutures.core.shared.unit_of_work import UnitOfWork


class PlanningNoteRepository(Protocol):
    def add(self, note: PlanningNote) -> None: ...
    def get(self, note_id: str) -> PlanningNote | None: ...
    def get_for_update(self, note_id: str) -> PlanningNote | None:
        """The note, locked until this unit of work ends. A reader's edit or archive and
        the pipeline sending, handing back or incorporating the note wait for each other,
        so neither writes over the other's change."""
        ...

    def list_for_update(
        self, project_id: str, status: PlanningNoteStatus
    ) -> Sequence[PlanningNote]:
        """The project's notes in ``status``, oldest first, each locked as
        ``get_for_update`` does; a note that left ``status`` while this waited for its
        lock is not returned, and every one returned is read as it is once locked."""
        ...

    def update(self, note: PlanningNote) -> None: ...
    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        """Oldest first, the order a writer should read them in."""
        ...


class EpisodeFeedbackRepository(Protocol):
    def save(self, feedback: EpisodeFeedback) -> EpisodeFeedback:
        """Store the reader's verdict on the episode, or replace the one they gave before
        (its rating, comment and ``updated_at``; it keeps its id and ``created_at``), and
        return what is stored. Two saves by one reader for one episode, even concurrent,
        leave exactly one verdict: the later one."""
        ...

    def get_for_reader(self, episode_id: str, user_id: str) -> EpisodeFeedback | None: ...
    def recent_for_project(self, project_id: str, limit: int) -> Sequence[EpisodeFeedback]:
        """The project's latest verdicts, newest (last given or replaced) first."""
        ...


class AgentMemoryRepository(Protocol):
    def add(self, memory: AgentMemory) -> None: ...
    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]: ...


class FeedbackStore(UnitOfWork, Protocol):
    """An organization's planning notes, episode feedback and table-stored memories."""

    @property
    def planning_notes(self) -> PlanningNoteRepository: ...
    @property
    def episode_feedback(self) -> EpisodeFeedbackRepository: ...
    @property
    def agent_memories(self) -> AgentMemoryRepository: ...


class FeedbackUnitOfWork(FeedbackStore, ProjectStore, EpisodeStore, ActivityStore, Protocol):
    """Notes belong to a project and feedback to an episode (checked on every write), and
    every change is audited."""
