"""The feedback loop's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.feedback.highlight import Highlight
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
    def get(self, memory_id: str) -> AgentMemory | None: ...
    def delete(self, memory_id: str) -> None:
        """Nothing happens for an id it does not hold."""
        ...

    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]:
        """In id order (creation order)."""
        ...

    def count_for_project(self, project_id: str) -> int:
        """Including this unit of work's own writes: the migration checks its moves by it."""
        ...


@dataclass(frozen=True, slots=True)
class JsonMemoryProject:
    organization_id: str
    project_id: str
    memory_count: int


class MemoryStoreGateway(Protocol):
    """The one cross-organization read of memories (ADR 0007): which projects still keep
    their memories as JSON, for the daily check and ``manyfutures memories migrate``."""

    def projects_on_json(self, after_id: str | None, limit: int) -> Sequence[JsonMemoryProject]:
        """Live projects of every organization on JSON storage, in id order after
        ``after_id``, at most ``limit``."""
        ...


class HighlightRepository(Protocol):
    def add(self, highlight: Highlight) -> None: ...
    def get(self, highlight_id: str) -> Highlight | None: ...
    def delete(self, highlight: Highlight) -> None: ...
    def list_for_episode(self, episode_id: str) -> Sequence[Highlight]:
        """Oldest first."""
        ...


class FeedbackStore(UnitOfWork, Protocol):
    """An organization's planning notes, episode feedback, table-stored memories and
    highlights."""

    @property
    def planning_notes(self) -> PlanningNoteRepository: ...
    @property
    def episode_feedback(self) -> EpisodeFeedbackRepository: ...
    @property
    def agent_memories(self) -> AgentMemoryRepository: ...
    @property
    def highlights(self) -> HighlightRepository: ...


class FeedbackUnitOfWork(FeedbackStore, ProjectStore, EpisodeStore, ActivityStore, Protocol):
    """Notes belong to a project and feedback to an episode (checked on every write), and
    every change is audited."""
