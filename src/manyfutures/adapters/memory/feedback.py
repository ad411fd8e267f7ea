"""Planning notes, table-stored memories and highlights in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus

PLANNING_NOTES = MemoryTable("planning_notes")
AGENT_MEMORY = MemoryTable("agent_memory")
HIGHLIGHTS = MemoryTable("highlights")


class PlanningNoteRepository:
    table: ClassVar[MemoryTable] = PLANNING_NOTES

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[PlanningNote] = TableView(uow, self.table)

    def add(self, note: PlanningNote) -> None:
        self._rows.insert(note)

    def get(self, note_id: str) -> PlanningNote | None:
        return self._rows.get(note_id)

    def update(self, note: PlanningNote) -> None:
        self._rows.update(note)

    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        mine = [
            n
            for n in self._rows.rows()
            if n.project_id == project_id and (status is None or n.status is status)
        ]
        return sorted(mine, key=lambda n: n.id)


class AgentMemoryRepository:
    table: ClassVar[MemoryTable] = AGENT_MEMORY

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[AgentMemory] = TableView(uow, self.table)

    def add(self, memory: AgentMemory) -> None:
        self._rows.insert(memory)

    def get(self, memory_id: str) -> AgentMemory | None:
        return self._rows.get(memory_id)

    def delete(self, memory_id: str) -> None:
        memory = self._rows.get(memory_id)
        if memory is not None:
            self._rows.delete(memory)

    def count_for_project(self, project_id: str) -> int:
        return len(self.list_for_project(project_id))

    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]:
        return sorted(
            (m for m in self._rows.rows() if m.project_id == project_id), key=lambda m: m.id
        )


class HighlightRepository:
    table: ClassVar[MemoryTable] = HIGHLIGHTS

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[Highlight] = TableView(uow, self.table)

    def add(self, highlight: Highlight) -> None:
        self._rows.insert(highlight)

    def get(self, highlight_id: str) -> Highlight | None:
        return self._rows.get(highlight_id)

    def delete(self, highlight: Highlight) -> None:
        self._rows.delete(highlight)

    def list_for_episode(self, episode_id: str) -> Sequence[Highlight]:
        return sorted(
            (h for h in self._rows.rows() if h.episode_id == episode_id), key=lambda h: h.id
        )
