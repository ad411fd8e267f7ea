"""Clerk webhook events translated into the identity changes the core applies.

Clerk payloads carry many fields we do not use, so these schemas ignore unknown
fields (our own API's schemas reject them). A payload missing what we need raises
marshmallow's ValidationError, which the HTTP layer answers like any invalid body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from manyfutures.adapters.clerk.session_verifier import clerk_role
from manyfutures.core.identity.plans import (
    PlanOverrides,
    validate_gbp,
    validate_max_active_projects,
)
from manyfutures.core.identity.use_cases import (
    DeleteOrganizationCommand,
    DeleteUserCommand,
    IdentityChange,
    RemoveMembershipCommand,
    SyncMembershipCommand,
    SyncOrganizationCommand,
    SyncUserCommand,
)
from manyfutures.core.shared.errors import ValidationError

logger = logging.getLogger(__name__)


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class ClerkEventSchema(_Lenient):
    type = fields.String(required=True)
    data = fields.Dict(required=True)


class _Email(_Lenient):
    id = fields.String(required=True)
    email_address = fields.String(required=True)


class _User(_Lenient):
    id = fields.String(required=True)
    email_addresses = fields.List(fields.Nested(_Email), load_default=list)
    primary_email_address_id = fields.String(allow_none=True, load_default=None)
    first_name = fields.String(allow_none=True, load_default=None)
    last_name = fields.String(allow_none=True, load_default=None)
    username = fields.String(allow_none=True, load_default=None)
    public_metadata = fields.Dict(allow_none=True, load_default=dict)


class _Deleted(_Lenient):
    id = fields.String(required=True)


class _Organization(_Lenient):
    id = fields.String(required=True)
    name = fields.String(load_default="")
    # Anything at all: a plan in it is read by _plan, which never fails the event.
    public_metadata = fields.Raw(allow_none=True, load_default=None)


class _PublicUser(_Lenient):
    user_id = fields.String(required=True)
    identifier = fields.String(allow_none=True, load_default=None)
    first_name = fields.String(allow_none=True, load_default=None)
    last_name = fields.String(allow_none=True, load_default=None)


class _Membership(_Lenient):
    role = fields.String(required=True)
    organization = fields.Nested(_Organization, required=True)
    public_user_data = fields.Nested(_PublicUser, required=True)


# Built once: a schema instance keeps no per-call state.
_USER, _DELETED, _ORGANIZATION, _MEMBERSHIP = _User(), _Deleted(), _Organization(), _Membership()


def _name(first: str | None, last: str | None, fallback: str | None) -> str:
    return " ".join(part for part in (first, last) if part).strip() or (fallback or "")


def _sync_user(data: dict[str, Any]) -> SyncUserCommand:
    user = _USER.load(data)
    emails = {e["id"]: e["email_address"] for e in user["email_addresses"]}
    email = emails.get(user["primary_email_address_id"] or "") or next(iter(emails.values()), "")
    timezone = (user["public_metadata"] or {}).get("timezone")
    return SyncUserCommand(
        user_id=user["id"],
        email=email,
        name=_name(user["first_name"], user["last_name"], user["username"] or email),
        timezone=timezone if isinstance(timezone, str) else None,
    )


def _delete_user(data: dict[str, Any]) -> DeleteUserCommand:
    return DeleteUserCommand(_DELETED.load(data)["id"])


def _sync_organization(data: dict[str, Any]) -> SyncOrganizationCommand:
    organization = _ORGANIZATION.load(data)
    return SyncOrganizationCommand(organization["id"], organization["name"], _plan(organization))


PLAN_KEYS = frozenset({"maxActiveProjects", "dailyLimitCeilingGbp"})


def _plan(organization: dict[str, Any]) -> PlanOverrides | None:
    """The plan in the organization's public metadata (``{"plan": {"maxActiveProjects": 25,
    "dailyLimitCeilingGbp": "1000.00"}}``); a key left out takes the operator's default.

    None when there is no plan, and when it is malformed: a mistyped plan in Clerk's
    dashboard is logged and left unapplied (the stored plan stays), never a reason to
    refuse the event, which would also lose the name change it carries.
    """
    metadata = organization["public_metadata"]
    if not isinstance(metadata, dict) or "plan" not in metadata:
        return None
    plan = metadata["plan"]
    try:
        if not isinstance(plan, dict):
            raise ValidationError("the plan is not an object")
        unknown = sorted(set(plan) - PLAN_KEYS)
        if unknown:
            raise ValidationError(f"unknown plan keys {unknown}")
        most, ceiling = plan.get("maxActiveProjects"), plan.get("dailyLimitCeilingGbp")
        return PlanOverrides(
            None if most is None else validate_max_active_projects(most),
            None if ceiling is None else validate_gbp("dailyLimitCeilingGbp", ceiling),
        )
    except ValidationError as error:
        details = "; ".join(m for messages in error.field_errors.values() for m in messages)
        logger.warning(
            "organization %s: the plan in Clerk's public_metadata is ignored (%s): %r",
            organization["id"],
            details or error.message,
            plan,
        )
        return None


def _delete_organization(data: dict[str, Any]) -> DeleteOrganizationCommand:
    return DeleteOrganizationCommand(_DELETED.load(data)["id"])


def _sync_membership(data: dict[str, Any]) -> SyncMembershipCommand:
    membership = _MEMBERSHIP.load(data)
    person = membership["public_user_data"]
    return SyncMembershipCommand(
        organization_id=membership["organization"]["id"],
        organization_name=membership["organization"]["name"],
        user_id=person["user_id"],
        email=person["identifier"] or "",
        name=_name(person["first_name"], person["last_name"], person["identifier"]),
        role=clerk_role(membership["role"]),
    )


def _remove_membership(data: dict[str, Any]) -> RemoveMembershipCommand:
    membership = _sync_membership(data)
    return RemoveMembershipCommand(membership.organization_id, membership.user_id)


_TRANSLATIONS: dict[str, Callable[[dict[str, Any]], IdentityChange]] = {
    "user.created": _sync_user,
    "user.updated": _sync_user,
    "user.deleted": _delete_user,
    "organization.created": _sync_organization,
    "organization.updated": _sync_organization,
    "organization.deleted": _delete_organization,
    "organizationMembership.created": _sync_membership,
    "organizationMembership.updated": _sync_membership,
    "organizationMembership.deleted": _remove_membership,
}


def identity_change(event_type: str, data: dict[str, Any]) -> IdentityChange | None:
    """None for the event types we do not mirror: they are acknowledged, not errors, so
    Clerk does not retry them forever."""
    translate = _TRANSLATIONS.get(event_type)
    return translate(data) if translate is not None else None
