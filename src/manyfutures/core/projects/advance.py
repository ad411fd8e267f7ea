"""Advancing due projects: each active project always has its upcoming slot in the queue.

A project's cadence decides its slots, so projects own this step; the scheduler only
runs it on its beat.

A beat may find hundreds of projects due at once (everyone's 09:00), and advancing one
on its own costs about ten round trips to the database: a transaction, five reads and
three writes. So the due projects of one organization are advanced together, up to
``PROJECTS_PER_UNIT_OF_WORK`` in one unit of work: their projects, queue items and
episodes are read in a few statements for all of them (``SlotBook``), and their writes
are made table by table, so the new rows of each table go as one statement, and the
projects' new next slots as one more (``update_many``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.projects.ports import ProjectsUnitOfWork
from manyfutures.core.scheduling.ports import SchedulerGateway, TenantRef
from manyfutures.core.scheduling.slots import SlotBook, SlotFill, ensure_slot, write_slots
from manyfutures.core.shared.errors import DuplicateError, VersionConflictError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)
DUE_PROJECTS_PER_TICK = 500
# Enough to pay a transaction and the reads once for many projects; few enough that a
# conflict (two schedulers at once), which redoes the chunk one project at a time, is cheap.
PROJECTS_PER_UNIT_OF_WORK = 50


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
        due = self._gateway.due_projects(self._clock.now(), DUE_PROJECTS_PER_TICK)
        advanced = 0
        for organization_id, project_ids in _chunks(due, PROJECTS_PER_UNIT_OF_WORK):
            try:
                advanced += self._advance_chunk(organization_id, project_ids)
            except Exception:
                # One chunk's failure (a deadlock with a settings change, say) rolled back
                # its own unit of work only; the other organizations' projects must not wait
                # on it. The chunk's projects are still due, so the next beat retries them.
                logger.exception(
                    "advancing %d due projects of %s failed; the next beat retries",
                    len(project_ids),
                    organization_id,
                )
        return advanced

    def _advance_chunk(self, organization_id: str, project_ids: Sequence[str]) -> int:
        try:
            return self._advance(organization_id, project_ids)
        except (DuplicateError, VersionConflictError):
            if len(project_ids) > 1:
                # One project's conflict rolled back the whole chunk: the others are
                # advanced each on its own, so only the one advanced elsewhere is left out.
                return sum(self._advance_chunk(organization_id, [p]) for p in project_ids)
            # Another tick (or a settings change) got there first; its write stands.
            logger.info("project %s was advanced concurrently", project_ids[0])
            return 0

    def _advance(self, organization_id: str, project_ids: Sequence[str]) -> int:
        now = self._clock.now()
        with self._uow(organization_id) as uow:
            # Read again in this unit of work: paused, deleted or advanced since discovery.
            steps = [
                (project, due, project.cadence.next_occurrence(now))
                for project in uow.projects.get_many(project_ids)
                if (due := _due_slot(project, now)) is not None
            ]
            if not steps:
                return 0
            wanted = [(p.id, slot) for p, due, following in steps for slot in (due, following)]
            book = SlotBook.read(uow, wanted)
            fills: list[SlotFill | None] = []
            for project, due, following in steps:
                fills.append(book.fill(self._ids, project, due, now))
                project.next_scheduled_at = following
                fills.append(book.fill(self._ids, project, following, now))
            write_slots(uow, [fill for fill in fills if fill is not None])
            uow.projects.update_many([project for project, _, _ in steps])
            uow.commit()
            return len(steps)


def advance_to_next_occurrence(
    uow: ProjectsUnitOfWork, ids: IdGenerator, project: Project, now: datetime
) -> None:
    """The project's next slot becomes its next occurrence after ``now``, queued
    (idempotent): the day's end, for a skipped slot. The scheduler's beat does the same for
    many projects at once (``ScheduleDueProjects``)."""
    project.next_scheduled_at = project.cadence.next_occurrence(now)
    ensure_slot(uow, ids, project, project.next_scheduled_at, now)
    uow.projects.update(project)


def _due_slot(project: Project, now: datetime) -> datetime | None:
    """The slot an active project is due for at ``now``; None if it is not due."""
    due = project.next_scheduled_at
    if project.status is not ProjectStatus.ACTIVE or due is None or due > now:
        return None
    return due


def _chunks(due: Sequence[TenantRef], size: int) -> Iterator[tuple[str, Sequence[str]]]:
    """The due projects by organization (first due first), at most ``size`` at a time."""
    by_organization: dict[str, list[str]] = {}
    for ref in due:
        by_organization.setdefault(ref.organization_id, []).append(ref.resource_id)
    for organization_id, project_ids in by_organization.items():
        for start in range(0, len(project_ids), size):
            yield organization_id, project_ids[start : start + size]
