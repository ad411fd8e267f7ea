"""The feedback loop's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.projects.ports import ProjectStore
from manyfutures.core.shared.unit_of_work import UnitOfWork


class PlanningNoteRepository(Protocol):
    def add(self, note: PlanningNote) -> None: ...
    def get(self, note_id: str) -> PlanningNote | None: ...
    def update(self, note: PlanningNote) -> None: ...
    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        """Oldest first, the order a writer should read them in."""
        ...


class AgentMemoryRepository(Protocol):
    def add(self, memory: AgentMemory) -> None: ...
    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]: ...


class HighlightRepository(Protocol):
    def add(self, highlight: Highlight) -> None: ...
    def get(self, highlight_id: str) -> Highlight | None: ...
    def delete(self, highlight: Highlight) -> None: ...
    def list_for_episode(self, episode_id: str) -> Sequence[Highlight]:
        """Oldest first."""
        ...


class FeedbackStore(UnitOfWork, Protocol):
    """An organization's planning notes, table-stored memories and highlights."""

    @property
    def planning_notes(self) -> PlanningNoteRepository: ...
    @property
    def agent_memories(self) -> AgentMemoryRepository: ...
    @property
    def highlights(self) -> HighlightRepository: ...


class FeedbackUnitOfWork(FeedbackStore, ProjectStore, ActivityStore, Protocol):
    """Notes belong to a project (checked on every write) and every change is audited."""
