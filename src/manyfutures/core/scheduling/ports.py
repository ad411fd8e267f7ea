"""Ports for the work that spans organizations, and for handing work to workers.

Only discovery and claiming cross tenants: finding which projects are due, claiming
due queue items, and finding items that only the failure path (abandoned) or the day's
end (blocked) can close. Everything a worker then does happens inside a unit of work scoped
to the item's own organization.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class TenantRef:
    organization_id: str
    resource_id: str


class SchedulerGateway(Protocol):
    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        """Active, undeleted projects of undeleted organizations whose next slot is at or
        before ``now``."""
        ...

    def claim_due_items(
        self, now: datetime, start_lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        """Atomically claim due pending items and items whose job was lost before it opened
        a run (start lease expired), both with attempts left.

        Claimed items are returned already marked processing (attempt counted, start
        lease set, no run opened); two concurrent callers never receive the same item.
        """
        ...

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        """Items only the failure path can end (``Expiry.needs_recovery``): a run that
        outlived its deadline, or a job lost on the final attempt."""
        ...

    def blocked_items_before(self, day_start: datetime, limit: int) -> Sequence[TenantRef]:
        """Blocked items (held back by a day's cost limit) that were to be claimed before
        ``day_start``, the current UTC day's 00:00: their day is over. Due order, at most
        ``limit``."""
        ...


class JobDispatcher(Protocol):
    def dispatch_generation(self, item: ScheduleQueueItem) -> None:
        """Hand one claimed item to a worker, exactly once per (item, attempt)."""
        ...

    def waiting(self) -> int:
        """Jobs handed over that no worker has taken yet."""
        ...


class ScheduleQueueRepository(Protocol):
    def add(self, item: ScheduleQueueItem) -> None:
        """Raise DuplicateError if the project already has a live item for that slot."""
        ...

    def get(self, item_id: str) -> ScheduleQueueItem | None: ...
    def get_for_update(self, item_id: str) -> ScheduleQueueItem | None:
        """Read and hold the item until the unit of work ends: a claim skips it meanwhile
        (``SKIP LOCKED``), and one that claimed it first is waited for and then seen."""
        ...

    def update(self, item: ScheduleQueueItem) -> None: ...
    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> ScheduleQueueItem | None:
        """The live (not cancelled) item for that slot."""
        ...

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        """Oldest slot first."""
        ...

    def list_for_projects(self, project_ids: Sequence[str]) -> Sequence[ScheduleQueueItem]:
        """``list_for_project`` of each in one read, oldest slot first: the slots of the
        projects the scheduler advances together."""
        ...

    def blocked_for_update(self, since: datetime, before: datetime) -> Sequence[ScheduleQueueItem]:
        """The blocked items that were to be claimed in ``[since, before)``, due order, each
        held until the unit of work ends."""
        ...

    def pending_due_for_update(self, before: datetime) -> Sequence[ScheduleQueueItem]:
        """The pending items that may be claimed before ``before``, due order, each held
        until the unit of work ends (the claim skips them meanwhile). One that another
        unit of work holds right now is skipped, not waited for (``SKIP LOCKED``)."""
        ...


class QueueStore(UnitOfWork, Protocol):
    """An organization's delivery slots."""

    @property
    def queue(self) -> ScheduleQueueRepository: ...


class SlotsUnitOfWork(QueueStore, EpisodeStore, Protocol):
    """A delivery slot is a queue item plus the draft episode it will produce."""
