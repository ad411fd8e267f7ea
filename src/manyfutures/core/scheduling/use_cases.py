"""The scheduler tick: create due slots, fail abandoned work, claim and dispatch.

Only discovery (which projects are due, which items to claim) crosses
organizations; each change is then made in that organization's own unit of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.generation.use_cases import FailedAttempt, fail_attempt
from manyfutures.core.persistence import UnitOfWorkFactory
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.scheduling.ports import JobDispatcher, SchedulerGateway
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.scheduling.slots import ensure_slot
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import DuplicateError, VersionConflictError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(minutes=15)
DUE_PROJECTS_PER_TICK = 500
LEASE_EXPIRED = "generation lease expired on the final attempt"


class ScheduleDueProjects(UseCase):
    """Advance every due project to its next slot. Running it twice creates nothing new."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, gateway: SchedulerGateway
    ) -> None:
        super().__init__(uow, clock, ids)
        self._gateway = gateway

    def __call__(self) -> int:
        now = self._clock.now()
        advanced = 0
        for ref in self._gateway.due_projects(now, DUE_PROJECTS_PER_TICK):
            try:
                advanced += self._advance(ref.organization_id, ref.resource_id)
            except (DuplicateError, VersionConflictError):
                # Another tick (or a settings change) got there first; its write stands.
                logger.info("project %s was advanced concurrently", ref.resource_id)
        return advanced

    def _advance(self, organization_id: str, project_id: str) -> int:
        now = self._clock.now()
        with self._uow(organization_id) as uow:
            project = uow.projects.get(project_id)
            due = project.next_scheduled_at if project else None
            if project is None or project.status is not ProjectStatus.ACTIVE or due is None:
                return 0
            if due > now:
                return 0
            ensure_slot(uow, self._ids, project, due, now)
            project.next_scheduled_at = project.cadence.next_occurrence(now)
            ensure_slot(uow, self._ids, project, project.next_scheduled_at, now)
            uow.projects.update(project)
            uow.commit()
            return 1


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


class RecoverExpiredLeases(UseCase):
    """Items whose worker vanished on the last attempt can only fail; say so clearly."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
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


@dataclass(frozen=True, slots=True)
class TickReport:
    projects_advanced: int
    items_failed: int
    items_dispatched: int


class RunSchedulerTick:
    """One scheduler beat; safe to run concurrently on several machines."""

    def __init__(
        self,
        schedule: ScheduleDueProjects,
        recover: RecoverExpiredLeases,
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
