"""Recovering abandoned work: a run past its deadline, or a job lost on the final attempt.

Both end the attempt as failed, which is generation's decision (``fail_attempt``), so
recovery lives here; the scheduler only finds them and runs this on its beat. A run
past its deadline is retried with the backoff rule while attempts remain; a job lost
with attempts left never comes here, the claim simply takes the item again
(core/scheduling/leases.py).
"""

from __future__ import annotations

from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.generation.use_cases import (
    FailedAttempt,
    fail_attempt,
    lock_open_run,
    report_attempt,
)
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.scheduling.leases import Expiry, Leases
from manyfutures.core.scheduling.ports import SchedulerGateway
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.telemetry import NO_TELEMETRY, Telemetry
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

JOB_LOST = "the generation job did not start within its start lease on the final attempt"


def timed_out(leases: Leases) -> str:
    return f"generation timed out: no result within {leases.deadline.total_seconds():g} s"


class RecoverExpiredLeases(UseCase[GenerationUnitOfWork]):
    """Fail what only the failure path can end, and tell the reader the way every failure is."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[GenerationUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        gateway: SchedulerGateway,
        policy: RetryPolicy,
        leases: Leases,
        templates: EmailTemplates,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._gateway = gateway
        self._policy = policy
        self._leases = leases
        self._templates = templates
        self._telemetry = telemetry

    def __call__(self) -> int:
        now = self._clock.now()
        failed = 0
        for ref in self._gateway.abandoned_items(now, self._policy.max_attempts):
            with self._uow(ref.organization_id) as uow:
                found = uow.queue.get(ref.resource_id)
                if found is None:
                    continue
                # Held in StartGeneration's order (the open run, then the item) and decided
                # on as it is then: a late job that opened its run since the scheduler
                # looked has swapped the lapsed start lease for the deadline, and keeps it.
                latest = lock_open_run(uow, uow.runs.latest_for_episode(found.episode_id))
                item = uow.queue.get_for_update(ref.resource_id)
                expiry = item.expiry(now, self._policy) if item is not None else Expiry.NONE
                if item is None or not expiry.needs_recovery:
                    continue  # finished, reclaimed or started since the scheduler looked
                episode = uow.episodes.get(item.episode_id)
                if episode is None:
                    continue
                deadline = expiry is Expiry.DEADLINE
                outcome = fail_attempt(
                    uow,
                    self._ids,
                    now,
                    self._policy,
                    self._templates,
                    FailedAttempt(
                        item,
                        episode,
                        uow.projects.get(item.project_id),
                        latest,
                        timed_out(self._leases) if deadline else JOB_LOST,
                        retryable=deadline,
                    ),
                )
                uow.commit()
                report_attempt(self._telemetry, outcome)
                failed += 1
        return failed
