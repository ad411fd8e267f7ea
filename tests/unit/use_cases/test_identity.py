"""Applying Clerk's identity changes: each kind of change reaches its sync, and what
each sync reports (applied or ignored) is what the caller gets back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from manyfutures.core.identity.model import DEFAULT_TIMEZONE
from manyfutures.core.identity.use_cases import (
    ApplyIdentityChange,
    DeleteOrganizationCommand,
    DeleteUserCommand,
    RemoveMembershipCommand,
    SyncMembershipCommand,
    SyncOrganizationCommand,
    SyncUserCommand,
)
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand, ProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Actor, Role
from tests.unit.use_cases.conftest import Harness


@pytest.fixture
def apply(harness: Harness) -> ApplyIdentityChange:
    return harness.container.identity.apply_identity_change()


def test_a_user_is_created_updated_and_tombstoned(
    harness: Harness, apply: ApplyIdentityChange
) -> None:
    assert apply(SyncUserCommand("user_ada", "ada@example.org", "Ada", "Europe/Rome"))
    harness.clock.advance(timedelta(minutes=1))
    assert apply(SyncUserCommand("user_ada", "ada@new.example", "Ada Lovelace", None))
    with harness.uow("") as uow:
        user = uow.users.get("user_ada")
    assert user is not None
    assert (user.email, user.name, user.timezone) == (
        "ada@new.example",
        "Ada Lovelace",
        "Europe/Rome",
    )

    assert apply(DeleteUserCommand("user_ada"))
    assert not apply(DeleteUserCommand("user_ada"))
    assert not apply(SyncUserCommand("user_ada", "ada@example.org", "Zombie"))
    with harness.uow("") as uow:
        tombstone = uow.users.get("user_ada")
    assert tombstone is not None and tombstone.deleted_at is not None
    assert tombstone.name == "Ada Lovelace"


def test_a_user_sync_that_changes_nothing_is_ignored_and_writes_nothing(
    harness: Harness, apply: ApplyIdentityChange
) -> None:
    assert apply(SyncUserCommand("user_ada", "ada@example.org", "Ada", "Europe/Rome"))
    created_at = harness.clock.now()
    harness.clock.advance(timedelta(minutes=1))
    assert not apply(SyncUserCommand("user_ada", "ada@example.org", "Ada", "Europe/Rome"))
    # No zone in Clerk's metadata keeps ours, so that is no change either.
    assert not apply(SyncUserCommand("user_ada", "ada@example.org", "Ada", None))
    with harness.uow("") as uow:
        user = uow.users.get("user_ada")
    assert user is not None
    assert user.updated_at == created_at


def test_a_bad_time_zone_from_clerk_is_not_applied_but_the_rest_is(
    harness: Harness, apply: ApplyIdentityChange
) -> None:
    assert apply(SyncUserCommand("user_new", "new@example.org", "New", "Mars/Olympus"))
    assert apply(SyncUserCommand("user_ada", "ada@example.org", "Ada", "Europe/Rome"))
    assert apply(SyncUserCommand("user_ada", "ada@new.example", "Ada", "Mars/Olympus"))
    with harness.uow("") as uow:
        new, ada = uow.users.get("user_new"), uow.users.get("user_ada")
    assert new is not None and new.timezone == DEFAULT_TIMEZONE
    assert ada is not None
    assert (ada.email, ada.timezone) == ("ada@new.example", "Europe/Rome")


def test_an_organization_is_created_renamed_and_tombstoned(
    harness: Harness, apply: ApplyIdentityChange
) -> None:
    assert apply(SyncOrganizationCommand("org_acme", "Acme"))
    assert not apply(SyncOrganizationCommand("org_acme", "Acme"))
    assert apply(SyncOrganizationCommand("org_acme", "Acme Ltd"))
    assert apply(DeleteOrganizationCommand("org_acme"))
    assert not apply(DeleteOrganizationCommand("org_acme"))
    assert not apply(SyncOrganizationCommand("org_acme", "Zombie"))
    with harness.uow("org_acme") as uow:
        organization = uow.organizations.get()
        deletions = uow.audit_log.list(action="organization.delete")
        trail = sorted(uow.audit_log.list(resource_type="organization"), key=lambda r: r.id)
    assert organization is not None
    assert (organization.name, organization.deleted_at is not None) == ("Acme Ltd", True)
    assert [row.resource_id for row in deletions] == ["org_acme"]
    # Clerk's changes are audited like ours, by nobody of ours.
    assert [(row.action, row.user_id, row.old_value, row.new_value) for row in trail] == [
        ("organization.create", None, None, '{"name": "Acme"}'),
        ("organization.update", None, '{"name": "Acme"}', '{"name": "Acme Ltd"}'),
        ("organization.delete", None, None, None),
    ]


def test_a_membership_is_synced_changed_and_removed(
    harness: Harness, apply: ApplyIdentityChange
) -> None:
    def membership(role: Role) -> SyncMembershipCommand:
        return SyncMembershipCommand("org_acme", "Acme", "user_ada", "ada@example.org", "Ada", role)

    assert apply(membership(Role.ADMIN))
    assert not apply(membership(Role.ADMIN))
    assert apply(membership(Role.MEMBER))
    with harness.uow("org_acme") as uow:
        organization = uow.organizations.get()
        stored = uow.memberships.get_for_user("user_ada")
    with harness.uow("") as uow:
        user = uow.users.get("user_ada")
    assert organization is not None and organization.name == "Acme"
    assert user is not None and user.email == "ada@example.org"
    assert stored is not None and stored.role is Role.MEMBER

    assert apply(RemoveMembershipCommand("org_acme", "user_ada"))
    assert not apply(RemoveMembershipCommand("org_acme", "user_ada"))
    with harness.uow("org_acme") as uow:
        assert uow.memberships.get_for_user("user_ada") is None
        actions = [row.action for row in sorted(uow.audit_log.list(), key=lambda r: r.id)]
    assert actions == [
        "organization.create",  # by the membership that arrived before the organization
        "membership.create",
        "membership.update",
        "membership.delete",
    ]


def test_deleting_an_organization_stops_its_projects_and_their_slots(
    harness: Harness, apply: ApplyIdentityChange, alice: Actor, bob: Actor
) -> None:
    """Its projects are archived and their slots that have not started are cancelled in the
    tombstone's transaction, so nothing of it is advanced, claimed or generated again."""
    daily = CreateProjectCommand(alice, "Energy", "Grid", cadence_mode="daily", days=())
    running = harness.create_project(replace(daily, deliver_first_now=True))
    waiting = harness.create_project(daily)
    paused = harness.create_project(daily)
    harness.pause(ProjectCommand(alice, paused.id))
    other = harness.create_project(replace(daily, actor=bob))
    harness.tick()  # the due slot of `running` is claimed; its job has not started yet
    assert apply(DeleteOrganizationCommand("org_a"))
    with harness.uow("org_a") as uow:
        statuses = {
            project_id: (
                uow.projects.get(project_id).status,  # type: ignore[union-attr]
                [item.status for item in uow.queue.list_for_project(project_id)],
            )
            for project_id in (running.id, waiting.id, paused.id)
        }
        archived = {row.resource_id for row in uow.audit_log.list(action="project.archive")}
    assert statuses == {
        running.id: (ProjectStatus.ARCHIVED, [QueueStatus.PROCESSING, QueueStatus.CANCELLED]),
        waiting.id: (ProjectStatus.ARCHIVED, [QueueStatus.CANCELLED]),
        paused.id: (ProjectStatus.ARCHIVED, [QueueStatus.CANCELLED]),
    }
    assert archived == {running.id, waiting.id, paused.id}
    harness.run_dispatched()  # the claimed slot's job finds its project archived
    assert harness.generator.requests == []
    harness.clock.advance(timedelta(days=7))
    report = harness.tick()
    assert (report.projects_advanced, report.items_dispatched) == (1, 1)  # org_b's only
    assert [item.project_id for item in harness.dispatcher.dispatched] == [other.id]
