"""Recovering abandoned work: an attempt whose worker vanished on its last try can only fail.

Failing it is generation's decision (``fail_attempt``), so lease recovery lives here;
the scheduler only finds the expired leases and runs this on its beat.
"""

from __future__ import annotations

from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.generation.use_cases import FailedAttempt, fail_attempt
from manyfutures.core.scheduling.ports import SchedulerGateway
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

LEASE_EXPIRED = "generation lease expired on the final attempt"


class RecoverExpiredLeases(UseCase[GenerationUnitOfWork]):
    """Items whose worker vanished on the last attempt can only fail; say so clearly."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[GenerationUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        gateway: SchedulerGateway,
        policy: RetryPolicy,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._gateway = gateway
        self._policy = policy

    def __call__(self) -> int:
        now = self._clock.now()
        failed = 0
        for ref in self._gateway.abandoned_items(now, self._policy.max_attempts):
            with self._uow(ref.organization_id) as uow:
                item = uow.queue.get(ref.resource_id)
                if item is None or not item.lease_expired(now):
                    continue
                episode = uow.episodes.get(item.episode_id)
                if episode is None:
                    continue
                fail_attempt(
                    uow,
                    self._ids,
                    now,
                    self._policy,
                    FailedAttempt(
                        item,
                        episode,
                        uow.projects.get(item.project_id),
                        uow.runs.latest_for_episode(item.episode_id),
                        LEASE_EXPIRED,
                        retryable=False,
                    ),
                )
                uow.commit()
                failed += 1
        return failed
