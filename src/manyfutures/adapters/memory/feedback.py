"""Planning notes, episode feedback, table-stored memories and highlights in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.model import (
    AgentMemory,
    EpisodeFeedback,
    PlanningNote,
    PlanningNoteStatus,
)

PLANNING_NOTES = MemoryTable("planning_notes")
EPISODE_FEEDBACK = MemoryTable("episode_feedback")
AGENT_MEMORY = MemoryTable("agent_memory")
HIGHLIGHTS = MemoryTable("highlights")


class PlanningNoteRepository:
    table: ClassVar[MemoryTable] = PLANNING_NOTES

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[PlanningNote] = TableView(uow, self.table)

    def add(self, note: PlanningNote) -> None:
        self._rows.insert(note)

    def get(self, note_id: str) -> PlanningNote | None:
        return self._rows.get(note_id)

    def get_for_update(self, note_id: str) -> PlanningNote | None:
        self._uow.lock_row(self.table.name, note_id)
        return self._rows.get(note_id)

    def list_for_update(
        self, project_id: str, status: PlanningNoteStatus
    ) -> Sequence[PlanningNote]:
        held = (self.get_for_update(n.id) for n in self.list_for_project(project_id, status))
        return [note for note in held if note is not None and note.status is status]

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


class EpisodeFeedbackRepository:
    """Postgres's upsert waits on the unique index (episode, reader) for a concurrent
    insert of the same key to commit; the fake holds a lock on that key instead, so the
    second save reads the first one's verdict and replaces it."""

    table: ClassVar[MemoryTable] = EPISODE_FEEDBACK

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[EpisodeFeedback] = TableView(uow, self.table)

    def save(self, feedback: EpisodeFeedback) -> EpisodeFeedback:
        key = f"{feedback.organization_id}/{feedback.episode_id}/{feedback.user_id}"
        self._uow.lock_row(self.table.name, key)
        previous = self.get_for_reader(feedback.episode_id, feedback.user_id)
        if previous is None:
            self._rows.insert(feedback)
            return feedback
        previous.rating = feedback.rating
        previous.comment = feedback.comment
        previous.updated_at = feedback.updated_at
        self._rows.update(previous)
        return previous

    def get_for_reader(self, episode_id: str, user_id: str) -> EpisodeFeedback | None:
        return next(
            (f for f in self._rows.rows() if f.episode_id == episode_id and f.user_id == user_id),
            None,
        )

    def recent_for_project(self, project_id: str, limit: int) -> Sequence[EpisodeFeedback]:
        mine = [f for f in self._rows.rows() if f.project_id == project_id]
        return sorted(mine, key=lambda f: (f.updated_at, f.id), reverse=True)[:limit]


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
