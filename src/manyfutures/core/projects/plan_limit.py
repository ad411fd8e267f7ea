"""The plan's limit on active projects, as the projects capability counts them."""

from __future__ import annotations

from manyfutures.core.projects.ports import ProjectsUnitOfWork
from manyfutures.core.shared.use_case import UseCase


class CountActiveProjects(UseCase[ProjectsUnitOfWork]):
    """For the organization's settings, read by identity from below (ADR 0005)."""

    def __call__(self, organization_id: str) -> int:
        with self._uow(organization_id) as uow:
            return uow.projects.count_active()
