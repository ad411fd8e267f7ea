"""The feedback loop's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    """An organization's planning notes, table-stored memories and highlights."""

    @property
    def planning_notes(self) -> PlanningNoteRepository: ...
    @property
    def agent_memories(self) -> AgentMemoryRepository: ...
    @property
    def highlights(self) -> HighlightRepository: ...


class FeedbackUnitOfWork(FeedbackStore, ProjectStore, ActivityStore, Protocol):
    """Notes belong to a project (checked on every write) and every change is audited."""
