"""The feedback loop's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
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


class FeedbackStore(UnitOfWork, Protocol):
    """An organization's planning notes and table-stored memories."""

    @property
    def planning_notes(self) -> PlanningNoteRepository: ...
    @property
    def agent_memories(self) -> AgentMemoryRepository: ...


class FeedbackUnitOfWork(FeedbackStore, ProjectStore, ActivityStore, Protocol):
    """Notes belong to a project (checked on every write) and every change is audited."""
