"""The demo tenant memory mode starts with, created through the ordinary use cases."""

from __future__ import annotations

from manyfutures.container import Container
from manyfutures.core.identity.use_cases import SyncMembershipCommand, SyncUserCommand
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.use_cases import (
    CreateProject,
    CreateProjectCommand,
    ListProjects,
    ListProjectsQuery,
)
from manyfutures.core.shared.actor import Actor, Role

DEMO_ORG = "org_demo"
DEMO_USER = "user_demo"


def seed_demo(container: Container) -> Project:
    """Idempotent: with persistent storage, a restart finds the demo project already there."""
    actor = Actor(DEMO_USER, DEMO_ORG, Role.ADMIN)
    # The same use cases Clerk's webhooks drive, so the demo tenant is an ordinary one.
    container.identity.sync_user()(
        SyncUserCommand(DEMO_USER, "demo@example.org", "Demo Reader", "Europe/London")
    )
    container.identity.sync_membership()(
        SyncMembershipCommand(
            DEMO_ORG, "Demo Organization", DEMO_USER, "demo@example.org", "Demo Reader", Role.ADMIN
        )
    )
    list_projects: ListProjects = container.projects.list_projects()
    existing = list_projects(ListProjectsQuery(actor, limit=1))
    if existing:
        return existing[0]
    create_project: CreateProject = container.projects.create_project()
    return create_project(
        CreateProjectCommand(
            actor=actor,
            title="The future of work",
            brief="How AI agents, remote work and regulation reshape white-collar work by 2030.",
            cadence_mode="weekdays",
            days=(),
            deliver_first_now=True,
        )
    )
