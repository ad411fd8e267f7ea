"""Generation runs in memory."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from manyfutures.adapters.memory.episodes import EPISODES
from manyfutures.adapters.memory.projects import ProjectRepository
from manyfutures.adapters.memory.scheduling import QUEUE
from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.episodes.episode import Episode, GenerationStage
from manyfutures.core.generation.ports import AttemptSlot
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.scheduling.queue import ScheduleQueueItem

GENERATION_RUNS = MemoryTable("generation_runs")


class RunRepository:
    table: ClassVar[MemoryTable] = GENERATION_RUNS

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[GenerationRun] = TableView(uow, self.table)

    def add(self, run: GenerationRun) -> None:
        self._rows.insert(run)

    def get(self, run_id: str) -> GenerationRun | None:
        return self._rows.get(run_id)

    def get_for_update(self, run_id: str) -> GenerationRun | None:
        self._uow.lock_row(self.table.name, run_id)
        return self._rows.get(run_id)

    def update(self, run: GenerationRun) -> None:
        self._rows.update(run)

    def latest_for_episode(self, episode_id: str) -> GenerationRun | None:
        mine = [r for r in self._rows.rows() if r.episode_id == episode_id]
        return max(mine, key=lambda r: (r.attempt, r.id), default=None)

    def latest_for_episode_of_item(self, queue_item_id: str) -> GenerationRun | None:
        item: ScheduleQueueItem | None = TableView(self._uow, QUEUE).get(queue_item_id)
        return self.latest_for_episode(item.episode_id) if item is not None else None

    def slot_of_item(self, queue_item_id: str) -> AttemptSlot | None:
        item: ScheduleQueueItem | None = TableView(self._uow, QUEUE).get(queue_item_id)
        if item is None:
            return None
        episode: Episode | None = TableView(self._uow, EPISODES).get(item.episode_id)
        return AttemptSlot(item, episode, ProjectRepository(self._uow).get(item.project_id))

    def advance_progress(
        self, run_id: str, stage: GenerationStage, percent: int, now: datetime
    ) -> bool:
        run = self.get_for_update(run_id)
        if run is None or not run.is_open:
            return False
        episodes: TableView[Episode] = TableView(self._uow, EPISODES)
        episode = episodes.get(run.episode_id)
        if episode is None or not episode.report_progress(stage, percent, now):
            return False
        episodes.update(episode)
        return True
