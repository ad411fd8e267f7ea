"""Ports for the work that spans organizations, and for handing work to workers.

Only two things cross tenants: finding which projects are due and claiming due
queue items. Everything a worker then does happens inside a unit of work scoped
to the item's own organization.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from manyfutures.core.scheduling.queue import ScheduleQueueItem


@dataclass(frozen=True, slots=True)
class TenantRef:
    organization_id: str
    resource_id: str


class SchedulerGateway(Protocol):
    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        """Active, undeleted projects whose next slot is at or before ``now``."""
        ...

    def claim_due_items(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        """Atomically claim due pending items and items whose lease expired.

        Claimed items are returned already marked processing (attempt counted,
        lease set); two concurrent callers never receive the same item.
        """
        ...

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        """Items whose lease expired with no attempts left: they can only fail."""
        ...


class JobDispatcher(Protocol):
    def dispatch_generation(self, item: ScheduleQueueItem) -> None:
        """Hand one claimed item to a worker, exactly once per (item, attempt)."""
        ...
