"""Clerk webhook events become the identity changes the core applies; fields Clerk
adds that we do not use are ignored, and a payload missing what we need is invalid."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError

from manyfutures.adapters.clerk.webhook_events import identity_change
from manyfutures.core.identity.plans import PlanOverrides
from manyfutures.core.identity.use_cases import (
    DeleteOrganizationCommand,
    DeleteUserCommand,
    RemoveMembershipCommand,
    SyncMembershipCommand,
    SyncOrganizationCommand,
    SyncUserCommand,
)
from manyfutures.core.shared.actor import Role
from tests.support.clerk_payloads import membership_data, user_data


@pytest.mark.parametrize("kind", ["user.created", "user.updated"])
def test_a_user_event_syncs_the_user(kind: str) -> None:
    assert identity_change(kind, user_data()) == SyncUserCommand(
        user_id="user_ada", email="ada@example.org", name="Ada Lovelace", timezone="Europe/Rome"
    )


@pytest.mark.parametrize(
    ("overrides", "email", "name"),
    [
        ({"primary_email_address_id": "idn_gone"}, "old@example.org", "Ada Lovelace"),
        ({"primary_email_address_id": None}, "old@example.org", "Ada Lovelace"),
        ({"first_name": None, "last_name": None}, "ada@example.org", "ada"),
        (
            {"first_name": "", "last_name": "", "username": None},
            "ada@example.org",
            "ada@example.org",
        ),
        ({"email_addresses": [], "first_name": None, "last_name": None, "username": None}, "", ""),
        ({"last_name": None}, "ada@example.org", "Ada"),
    ],
)
def test_a_user_s_email_falls_back_to_the_first_and_name_to_username_then_email(
    overrides: dict[str, Any], email: str, name: str
) -> None:
    change = identity_change("user.updated", user_data(**overrides))
    assert isinstance(change, SyncUserCommand)
    assert (change.email, change.name) == (email, name)


@pytest.mark.parametrize("metadata", [{}, None, {"timezone": 3}, {"timezone": None}])
def test_a_timezone_is_taken_from_public_metadata_only_when_it_is_a_string(
    metadata: dict[str, Any] | None,
) -> None:
    change = identity_change("user.created", user_data(public_metadata=metadata))
    assert isinstance(change, SyncUserCommand)
    assert change.timezone is None


def test_user_deleted_deletes_the_user() -> None:
    change = identity_change("user.deleted", {"id": "user_ada", "deleted": True})
    assert change == DeleteUserCommand("user_ada")


@pytest.mark.parametrize("kind", ["organization.created", "organization.updated"])
def test_an_organization_event_syncs_its_name(kind: str) -> None:
    data = {"id": "org_acme", "name": "Acme", "slug": "acme", "members_count": 3}
    assert identity_change(kind, data) == SyncOrganizationCommand("org_acme", "Acme")
    assert identity_change(kind, {"id": "org_acme"}) == SyncOrganizationCommand("org_acme", "")


@pytest.mark.parametrize(
    ("plan", "overrides"),
    [
        (
            {"maxActiveProjects": 25, "dailyLimitCeilingGbp": "1000.00"},
            PlanOverrides(25, Decimal("1000.00")),
        ),
        ({"dailyLimitCeilingGbp": 750}, PlanOverrides(None, Decimal("750.00"))),
        ({"maxActiveProjects": 0}, PlanOverrides(0, None)),
        ({}, PlanOverrides()),
    ],
)
def test_a_plan_in_public_metadata_comes_with_the_organization(
    plan: dict[str, Any], overrides: PlanOverrides
) -> None:
    data = {"id": "org_acme", "name": "Acme", "public_metadata": {"tier": "pro", "plan": plan}}
    change = identity_change("organization.updated", data)
    assert change == SyncOrganizationCommand("org_acme", "Acme", overrides)


@pytest.mark.parametrize("metadata", [None, {}, {"tier": "pro"}, "plan", [1]])
def test_without_a_plan_in_public_metadata_the_plan_is_left_alone(metadata: Any) -> None:
    data = {"id": "org_acme", "name": "Acme", "public_metadata": metadata}
    assert identity_change("organization.created", data) == SyncOrganizationCommand(
        "org_acme", "Acme", None
    )


@pytest.mark.parametrize(
    "plan",
    [
        "pro",
        None,
        [25],
        {"maxActiveProjects": "25"},
        {"maxActiveProjects": 2.5},
        {"maxActiveProjects": -1},
        {"maxActiveProjects": True},
        {"dailyLimitCeilingGbp": "lots"},
        {"dailyLimitCeilingGbp": 99.99},
        {"dailyLimitCeilingGbp": "100000.01"},
        {"maxActiveProjects": 5, "maxProjects": 5},
    ],
)
def test_a_malformed_plan_is_logged_and_ignored_and_the_name_still_syncs(
    plan: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"id": "org_acme", "name": "Acme", "public_metadata": {"plan": plan}}
    with caplog.at_level(logging.WARNING, "manyfutures.adapters.clerk.webhook_events"):
        change = identity_change("organization.updated", data)
    assert change == SyncOrganizationCommand("org_acme", "Acme", None)
    assert "org_acme: the plan in Clerk's public_metadata is ignored" in caplog.text


def test_organization_deleted_deletes_the_organization() -> None:
    change = identity_change("organization.deleted", {"id": "org_acme", "deleted": True})
    assert change == DeleteOrganizationCommand("org_acme")


@pytest.mark.parametrize(
    ("kind", "role", "expected"),
    [
        ("organizationMembership.created", "org:admin", Role.ADMIN),
        ("organizationMembership.updated", "admin", Role.ADMIN),
        ("organizationMembership.updated", "org:member", Role.MEMBER),
        ("organizationMembership.created", "org:billing", Role.MEMBER),
    ],
)
def test_a_membership_event_syncs_the_membership_with_its_organization_and_user(
    kind: str, role: str, expected: Role
) -> None:
    assert identity_change(kind, membership_data(role)) == SyncMembershipCommand(
        organization_id="org_acme",
        organization_name="Acme",
        user_id="user_ada",
        email="ada@example.org",
        name="Ada Lovelace",
        role=expected,
    )


def test_a_member_without_a_name_is_named_by_identifier_and_without_either_is_blank() -> None:
    unnamed = identity_change(
        "organizationMembership.created", membership_data(first_name=None, last_name=None)
    )
    assert isinstance(unnamed, SyncMembershipCommand)
    assert (unnamed.email, unnamed.name) == ("ada@example.org", "ada@example.org")
    anonymous = identity_change(
        "organizationMembership.created",
        membership_data(identifier=None, first_name=None, last_name=None),
    )
    assert isinstance(anonymous, SyncMembershipCommand)
    assert (anonymous.email, anonymous.name) == ("", "")


def test_membership_deleted_removes_the_user_from_the_organization() -> None:
    change = identity_change("organizationMembership.deleted", membership_data())
    assert change == RemoveMembershipCommand("org_acme", "user_ada")


def test_an_event_type_we_do_not_mirror_is_no_change() -> None:
    assert identity_change("session.created", {"id": "sess_1"}) is None


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("user.created", {"first_name": "No id"}, "id"),
        ("user.deleted", {}, "id"),
        ("organization.updated", {"name": "Acme"}, "id"),
        ("organizationMembership.deleted", {"role": "org:admin"}, "organization"),
    ],
)
def test_a_payload_missing_what_we_need_is_invalid(
    kind: str, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        identity_change(kind, data)
    assert field in caught.value.messages
