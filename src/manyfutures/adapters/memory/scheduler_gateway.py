"""Cross-organization discovery and claiming over the in-memory store."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.backoff import RetryPolicy


class InMemorySchedulerGateway:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        with self._store.lock:
            organizations = self._store.tables["organizations"]
            deleted = {o.id for o in organizations.values() if o.deleted_at is not None}
            due = [
                p
                for p in self._store.tables["projects"].values()
                if p.status is ProjectStatus.ACTIVE
                and not p.is_deleted
                and p.organization_id not in deleted
                and p.next_scheduled_at is not None
                and p.next_scheduled_at <= now
            ]
        due.sort(key=lambda p: (p.next_scheduled_at, p.id))
        return [TenantRef(p.organization_id, p.id) for p in due[:limit]]

    def claim_due_items(
        self, now: datetime, start_lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        policy = RetryPolicy(max_attempts=max_attempts)
        with self._store.lock:
            items = self._store.tables["episode_schedule_queue"]
            claimable = sorted(
                (i for i in items.values() if i.claimable(now, policy) and not self._held(i.id)),
                key=lambda i: (i.available_at, i.id),
            )[:batch_size]
            claimed = []
            for item in claimable:
                updated = copy.deepcopy(item)
                updated.claim(now, start_lease)
                items[item.id] = updated
                claimed.append(copy.deepcopy(updated))
            return claimed

    def _held(self, item_id: str) -> bool:
        """Held by a unit of work's ``get_for_update``: skipped, as ``SKIP LOCKED`` does."""
        lock = self._store.row_locks.get(("episode_schedule_queue", item_id))
        return lock is not None and lock.locked()

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        policy = RetryPolicy(max_attempts=max_attempts)
        with self._store.lock:
            return [
                TenantRef(i.organization_id, i.id)
                for i in self._store.tables["episode_schedule_queue"].values()
                if i.expiry(now, policy).needs_recovery
            ]

    def blocked_items_before(self, day_start: datetime, limit: int) -> Sequence[TenantRef]:
        with self._store.lock:
            lapsed = sorted(
                (
                    i
                    for i in self._store.tables["episode_schedule_queue"].values()
                    if i.status is QueueStatus.BLOCKED and i.available_at < day_start
                ),
                key=lambda i: (i.available_at, i.id),
            )
        return [TenantRef(i.organization_id, i.id) for i in lapsed[:limit]]
