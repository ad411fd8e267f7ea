"""The plan's limit on active projects: creating or resuming one past it is refused.

The limit must hold when requests race: two creates at the limit, each counting the
other's project as not there yet, would both insert. So the count is taken under the
organization's row lock (``organizations.get_for_update``), in the unit of work that
then inserts or resumes the project: a second create waits for the first to commit
and counts its project. Every use case that takes the lock takes it before any
project's, so two of them never wait on each other.
"""

from __future__ import annotations

from manyfutures.core.identity.plans import Plan, resolve_plan
from manyfutures.core.projects.ports import ProjectsUnitOfWork
from manyfutures.core.shared.errors import DomainError
from manyfutures.core.shared.use_case import UseCase


class ActiveProjectLimitError(DomainError):
    """The organization's plan allows no more active projects."""

    def __init__(self, max_active_projects: int, active_projects: int) -> None:
        super().__init__(
            f"the plan allows {max_active_projects} active projects and "
            f"{active_projects} are active; pause or delete one first"
        )
        self.max_active_projects = max_active_projects
        self.active_projects = active_projects


def lock_the_plan(uow: ProjectsUnitOfWork, plan_defaults: Plan) -> Plan:
    """Lock the organization's row until the unit of work ends, and return its plan: what
    the caller then counts and writes, whoever comes next sees."""
    return resolve_plan(uow.organizations.get_for_update(), plan_defaults)


def require_room_for_an_active_project(uow: ProjectsUnitOfWork, plan: Plan) -> None:
    """Raise ActiveProjectLimitError unless one more project may become active; call it
    under ``lock_the_plan``."""
    active = uow.projects.count_active()
    if active >= plan.max_active_projects:
        raise ActiveProjectLimitError(plan.max_active_projects, active)


class CountActiveProjects(UseCase[ProjectsUnitOfWork]):
    """For the organization's settings, read by identity from below (ADR 0005)."""

    def __call__(self, organization_id: str) -> int:
        with self._uow(organization_id) as uow:
            return uow.projects.count_active()
