"""The schedule queue in memory, with Postgres's one-live-item-per-slot index applied at commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.errors import DuplicateError


def _check_slots(self: Transaction) -> None:
    live = {
        (i.project_id, i.scheduled_for): i.id
        for i in self.store.tables["episode_schedule_queue"].values()
        if i.status is not QueueStatus.CANCELLED
    }
    for item in self.staged.get("episode_schedule_queue", {}).values():
        if item.status is QueueStatus.CANCELLED:
            continue
        owner = live.get((item.project_id, item.scheduled_for))
        if owner is not None and owner != item.id:
            raise DuplicateError(
                f"project {item.project_id} already has a queue item for {item.scheduled_for}"
            )


QUEUE = MemoryTable("episode_schedule_queue", check=_check_slots)


class QueueRepository:
    table: ClassVar[MemoryTable] = QUEUE

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[ScheduleQueueItem] = TableView(uow, self.table)

    def add(self, item: ScheduleQueueItem) -> None:
        if self.find_for_slot(item.project_id, item.scheduled_for) is not None:
            raise DuplicateError(
                f"project {item.project_id} already has a queue item for {item.scheduled_for}"
            )
        self._rows.insert(item)

    def get(self, item_id: str) -> ScheduleQueueItem | None:
        return self._rows.get(item_id)

    def get_for_update(self, item_id: str) -> ScheduleQueueItem | None:
        self._uow.lock_row(self.table.name, item_id)
        return self._rows.get(item_id)

    def update(self, item: ScheduleQueueItem) -> None:
        self._rows.update(item)

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> ScheduleQueueItem | None:
        return next(
            (
                i
                for i in self._rows.rows()
                if i.project_id == project_id
                and i.scheduled_for == scheduled_for
                and i.status is not QueueStatus.CANCELLED
            ),
            None,
        )

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        return self.list_for_projects([project_id])

    def list_for_projects(self, project_ids: Sequence[str]) -> Sequence[ScheduleQueueItem]:
        wanted = set(project_ids)
        theirs = [i for i in self._rows.rows() if i.project_id in wanted]
        return sorted(theirs, key=lambda i: (i.scheduled_for, i.id))

    def blocked_for_update(self, since: datetime, before: datetime) -> Sequence[ScheduleQueueItem]:
        blocked = sorted(
            (
                i
                for i in self._rows.rows()
                if i.status is QueueStatus.BLOCKED and since <= i.available_at < before
            ),
            key=lambda i: (i.available_at, i.id),
        )
        held = []
        for item in blocked:
            self._uow.lock_row(self.table.name, item.id)
            current = self._rows.get(item.id)  # read again now that it is held
            if current is not None and current.status is QueueStatus.BLOCKED:
                held.append(current)
        return held

    def pending_due_for_update(self, before: datetime) -> Sequence[ScheduleQueueItem]:
        due = sorted(
            (i for i in self._rows.rows() if i.status is QueueStatus.PENDING),
            key=lambda i: (i.available_at, i.id),
        )
        held = []
        for item in due:
            if item.available_at >= before or not self._uow.try_lock_row(self.table.name, item.id):
                continue
            current = self._rows.get(item.id)  # read again now that it is held
            if current is not None and current.status is QueueStatus.PENDING:
                held.append(current)
        return held
