"""Deleting an organization: identity's tombstone, and every project of it stopped.

Identity sits below projects (ADR 0005) and cannot stop them, so the deletion is
orchestrated here, in one transaction: the tombstone, each project archived, each slot
that has not started cancelled. A deleted organization's projects are then never
advanced, claimed or generated again; the scheduler's discovery also skips deleted
organizations, so a project missed here still would not be scheduled.
"""

from __future__ import annotations

from collections.abc import Iterator

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.identity.use_cases import DeleteOrganizationCommand, tombstone_organization
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.projects.ports import ProjectStore, ProjectsUnitOfWork
from manyfutures.core.projects.use_cases import cancel_pending_items
from manyfutures.core.shared.use_case import UseCase

PAGE = 100


class DeleteOrganization(UseCase[ProjectsUnitOfWork]):
    """``organization.deleted``: False when it was deleted already (a redelivered webhook)."""

    def __call__(self, command: DeleteOrganizationCommand) -> bool:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            if not tombstone_organization(uow, self._ids, command.organization_id, now):
                return False
            record = Recorder(uow, self._ids, None, now)
            for project_id in list(_every_project_id(uow)):
                # Read one by one: an update is checked against the version its read saw.
                project = uow.projects.get(project_id)
                if project is None or project.status is ProjectStatus.ARCHIVED:
                    continue
                before = project.status.value
                project.archive(now)
                cancel_pending_items(uow, project.id)
                uow.projects.update(project)
                record.audit("project.archive", "project", project.id, old=before, new="ARCHIVED")
            uow.commit()
            return True


def _every_project_id(uow: ProjectStore) -> Iterator[str]:
    after_id: str | None = None
    while page := uow.projects.list(PAGE, after_id):
        yield from (project.id for project in page)
        after_id = page[-1].id
