"""Advancing due projects: each active project always has its upcoming slot in the queue.

A project's cadence decides its slots, so projects own this step; the scheduler only
runs it on its beat.
"""

from __future__ import annotations

import logging
from datetime import datetime

from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.projects.ports import ProjectsUnitOfWork
from manyfutures.core.scheduling.ports import SchedulerGateway
from manyfutures.core.scheduling.slots import ensure_slot
from manyfutures.core.shared.errors import DuplicateError, VersionConflictError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)
DUE_PROJECTS_PER_TICK = 500


class ScheduleDueProjects(UseCase[ProjectsUnitOfWork]):
    """Advance every due project to its next slot. Running it twice creates nothing new."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ProjectsUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        gateway: SchedulerGateway,
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
            advance_to_next_occurrence(uow, self._ids, project, now)
            uow.commit()
            return 1


def advance_to_next_occurrence(
    uow: ProjectsUnitOfWork, ids: IdGenerator, project: Project, now: datetime
) -> None:
    """The project's next slot becomes its next occurrence after ``now``, queued
    (idempotent): the scheduler's advance, and the day's end for a skipped slot."""
    project.next_scheduled_at = project.cadence.next_occurrence(now)
    ensure_slot(uow, ids, project, project.next_scheduled_at, now)
    uow.projects.update(project)
