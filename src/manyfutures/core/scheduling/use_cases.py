"""The scheduler tick: advance due projects, fail abandoned work, claim and dispatch.

Only discovery (which projects are due, which items to claim) crosses
organizations; each change is then made in that organization's own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.scheduling.ports import JobDispatcher, SchedulerGateway
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.ports import Clock

DEFAULT_LEASE = timedelta(minutes=15)


class ClaimDueItems:
    def __init__(
        self,
        clock: Clock,
        gateway: SchedulerGateway,
        policy: RetryPolicy,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self._clock = clock
        self._gateway = gateway
        self._policy = policy
        self._lease = lease

    def __call__(self, batch_size: int) -> list[ScheduleQueueItem]:
        return list(
            self._gateway.claim_due_items(
                self._clock.now(), self._lease, batch_size, self._policy.max_attempts
            )
        )


@dataclass(frozen=True, slots=True)
class TickReport:
    projects_advanced: int
    items_failed: int
    items_dispatched: int


class RunSchedulerTick:
    """One scheduler beat; safe to run concurrently on several machines.

    Advancing projects and failing abandoned work belong to the projects and generation
    capabilities above this one, so they arrive as callables that count what they did.
    """

    def __init__(
        self,
        schedule: Callable[[], int],
        recover: Callable[[], int],
        claim: ClaimDueItems,
        dispatcher: JobDispatcher,
        batch_size: int = 50,
    ) -> None:
        self._schedule = schedule
        self._recover = recover
        self._claim = claim
        self._dispatcher = dispatcher
        self._batch_size = batch_size

    def __call__(self) -> TickReport:
        advanced = self._schedule()
        failed = self._recover()
        claimed = self._claim(self._batch_size)
        for item in claimed:
            self._dispatcher.dispatch_generation(item)
        return TickReport(advanced, failed, len(claimed))
