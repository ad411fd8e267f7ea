"""The scheduler tick: fail abandoned work, skip slots whose day ended at the cost limit,
claim and dispatch everything due, advance due projects.

Only discovery (which projects are due, which items to claim) crosses
organizations; each change is then made in that organization's own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from manyfutures.core.scheduling.leases import Leases
from manyfutures.core.scheduling.ports import JobDispatcher, SchedulerGateway
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.ports import Clock

DEFAULT_BATCH_SIZE = 50
DEFAULT_MAX_WAITING_JOBS = 500


class ClaimDueItems:
    """One batch of due items, each claimed with the start lease (leases.py)."""

    def __init__(
        self, clock: Clock, gateway: SchedulerGateway, policy: RetryPolicy, leases: Leases
    ) -> None:
        self._clock = clock
        self._gateway = gateway
        self._policy = policy
        self._leases = leases

    def __call__(self, batch_size: int) -> list[ScheduleQueueItem]:
        return list(
            self._gateway.claim_due_items(
                self._clock.now(), self._leases.start, batch_size, self._policy.max_attempts
            )
        )


@dataclass(frozen=True, slots=True)
class TickReport:
    projects_advanced: int
    items_failed: int
    items_dispatched: int
    items_skipped: int = 0

    @property
    def did_anything(self) -> bool:
        return bool(
            self.projects_advanced
            or self.items_failed
            or self.items_dispatched
            or self.items_skipped
        )

    def __str__(self) -> str:
        """The scheduler's log line; the process tests count dispatches from it."""
        return (
            f"{self.projects_advanced} projects advanced, {self.items_failed} items failed, "
            f"{self.items_dispatched} dispatched, {self.items_skipped} skipped"
        )


class RunSchedulerTick:
    """One scheduler beat; safe to run concurrently on several machines.

    Advancing projects, failing abandoned work and skipping the blocked slots of a day
    that is over belong to the projects and generation capabilities above this one, so
    they arrive as callables that count what they did.

    Claims come in batches until one comes back short, so 2 000 items due at once are not
    trickled out 50 a beat; but no further than ``max_waiting`` jobs waiting for a worker.
    A claim starts the item's start lease, and a job still waiting when it runs out is
    taken for lost: the item is claimed again and an attempt is spent. Two workers
    start about 20 to 100 jobs a second, so 2 000 jobs handed over at once would wait
    longer than the 60 s lease and burn attempts until episodes failed unpublished (the
    pipeline bench saw it). Items left unclaimed stay pending, with no lease running and
    no attempt spent, and the next beats hand them out as the workers take jobs; the
    bound must stay below what the workers start within one start lease.

    Claims come before advancing projects: a due slot is already in the queue (each
    project keeps its upcoming slot there), so its job need not wait while a few hundred
    projects get their next slot. A dispatch that fails (Redis unreachable) ends the
    beat: claiming more would only park more items until their start lease runs out,
    which is also what brings the unsent ones back.
    """

    def __init__(
        self,
        schedule: Callable[[], int],
        recover: Callable[[], int],
        skip_lapsed: Callable[[], int],
        claim: ClaimDueItems,
        dispatcher: JobDispatcher,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_waiting: int = DEFAULT_MAX_WAITING_JOBS,
    ) -> None:
        self._schedule = schedule
        self._recover = recover
        self._skip_lapsed = skip_lapsed
        self._claim = claim
        self._dispatcher = dispatcher
        self._batch_size = batch_size
        self._max_waiting = max_waiting

    def __call__(self) -> TickReport:
        failed = self._recover()
        skipped = self._skip_lapsed()
        dispatched = 0
        room = self._max_waiting - self._dispatcher.waiting()
        while room > 0:
            wanted = min(self._batch_size, room)
            claimed = self._claim(wanted)
            for item in claimed:
                self._dispatcher.dispatch_generation(item)
            dispatched += len(claimed)
            room -= len(claimed)
            if len(claimed) < wanted:
                break
        advanced = self._schedule()
        return TickReport(advanced, failed, dispatched, skipped)
