"""Episodes and their content blocks in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction, newest_first
from manyfutures.core.episodes.episode import Block, Episode, EpisodeStatus

EPISODES = MemoryTable("episodes")
BLOCKS = MemoryTable("blocks")


class EpisodeRepository:
    table: ClassVar[MemoryTable] = EPISODES

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[Episode] = TableView(uow, self.table)

    def add(self, episode: Episode) -> None:
        self._rows.insert(episode)

    def get(self, episode_id: str) -> Episode | None:
        return self._rows.get(episode_id)

    def get_many(self, episode_ids: Sequence[str]) -> Sequence[Episode]:
        """Each episode once, however often its id is given (as ``= ANY(ids)`` reads it)."""
        found = (self._rows.get(episode_id) for episode_id in dict.fromkeys(episode_ids))
        return [episode for episode in found if episode is not None]

    def update(self, episode: Episode) -> None:
        self._rows.update(episode)

    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        mine = (e for e in self._rows.rows() if e.project_id == project_id)
        return newest_first(mine, limit, after_id)

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> Episode | None:
        found = self.find_for_slots([(project_id, scheduled_for)])
        return found[0] if found else None

    def find_for_slots(self, slots: Sequence[tuple[str, datetime]]) -> Sequence[Episode]:
        wanted = set(slots)
        lowest_id: dict[tuple[str, datetime], Episode] = {}
        for episode in sorted(self._rows.rows(), key=lambda e: e.id, reverse=True):
            slot = (episode.project_id, episode.scheduled_for)
            if slot in wanted:
                lowest_id[slot] = episode
        return list(lowest_id.values())

    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]:
        mine = [e for e in self._rows.rows() if e.project_id == project_id and e.status is status]
        mine.sort(key=lambda e: (e.published_at or e.created_at, e.id), reverse=True)
        return mine[:limit]


class BlockRepository:
    table: ClassVar[MemoryTable] = BLOCKS

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[Block] = TableView(uow, self.table)

    def add(self, block: Block) -> None:
        self._rows.insert(block)

    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        mine = [b for b in self._rows.rows() if b.episode_id == episode_id]
        return sorted(mine, key=lambda b: (b.position, b.id))
