"""Clerk webhooks: keep users, organizations and memberships in step with Clerk.

Order of checks: the svix signature first (401 and nothing read or written if it
fails or is older than five minutes), then the svix-id is claimed so a redelivered
message is applied once, then the payload is parsed and one sync use case runs.
Clerk payloads carry many fields we do not use, so these schemas ignore unknown
fields (our own API's schemas reject them). Unknown event types are acknowledged,
so Clerk does not retry them forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, cast

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, request
from marshmallow import EXCLUDE, Schema, fields

from manyfutures.adapters.clerk.session_verifier import clerk_role
from manyfutures.adapters.clerk.webhook_verifier import SvixWebhookVerifier
from manyfutures.adapters.idempotency import ClaimOutcome, IdempotencyStore, StoredResponse
from manyfutures.container import Container
from manyfutures.core.identity.use_cases import (
    DeleteOrganization,
    DeleteOrganizationCommand,
    DeleteUser,
    DeleteUserCommand,
    RemoveMembership,
    RemoveMembershipCommand,
    SyncMembership,
    SyncMembershipCommand,
    SyncOrganization,
    SyncOrganizationCommand,
    SyncUser,
    SyncUserCommand,
)
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.requests import load_json, parse_json
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import WebhookResultSchema

blueprint = Blueprint("webhooks", __name__)


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


class _PublicUser(_Lenient):
    user_id = fields.String(required=True)
    identifier = fields.String(allow_none=True, load_default=None)
    first_name = fields.String(allow_none=True, load_default=None)
    last_name = fields.String(allow_none=True, load_default=None)


class _Membership(_Lenient):
    role = fields.String(required=True)
    organization = fields.Nested(_Organization, required=True)
    public_user_data = fields.Nested(_PublicUser, required=True)


def _name(first: str | None, last: str | None, fallback: str | None) -> str:
    return " ".join(part for part in (first, last) if part).strip() or (fallback or "")


def _user_command(data: dict[str, Any]) -> SyncUserCommand:
    user = _User().load(data)
    emails = {e["id"]: e["email_address"] for e in user["email_addresses"]}
    email = emails.get(user["primary_email_address_id"] or "") or next(iter(emails.values()), "")
    timezone = (user["public_metadata"] or {}).get("timezone")
    return SyncUserCommand(
        user_id=user["id"],
        email=email,
        name=_name(user["first_name"], user["last_name"], user["username"] or email),
        timezone=timezone if isinstance(timezone, str) else None,
    )


def _membership_command(data: dict[str, Any]) -> SyncMembershipCommand:
    membership = _Membership().load(data)
    person = membership["public_user_data"]
    return SyncMembershipCommand(
        organization_id=membership["organization"]["id"],
        organization_name=membership["organization"]["name"],
        user_id=person["user_id"],
        email=person["identifier"] or "",
        name=_name(person["first_name"], person["last_name"], person["identifier"]),
        role=clerk_role(membership["role"]),
    )


@blueprint.post("/webhooks/clerk")
@operation(
    "Webhooks",
    "Clerk user/organization/membership events, verified with svix",
    body=ClerkEventSchema,
    responses={200: WebhookResultSchema},
    public=True,
    errors=(400, 401, 409, 422),
)
@inject
def clerk_webhook(
    verifier: SvixWebhookVerifier = Provide[Container.webhook_verifier],
    store: IdempotencyStore = Provide[Container.idempotency_store],
    sync_user: SyncUser = Provide[Container.sync_user],
    delete_user: DeleteUser = Provide[Container.delete_user],
    sync_organization: SyncOrganization = Provide[Container.sync_organization],
    delete_organization: DeleteOrganization = Provide[Container.delete_organization],
    sync_membership: SyncMembership = Provide[Container.sync_membership],
    remove_membership: RemoveMembership = Provide[Container.remove_membership],
) -> Response:
    raw = request.get_data(cache=True)
    message_id = verifier.verify(raw, cast(Mapping[str, str], request.headers))
    handlers: dict[str, Callable[[dict[str, Any]], bool]] = {
        "user.created": lambda d: sync_user(_user_command(d)),
        "user.updated": lambda d: sync_user(_user_command(d)),
        "user.deleted": lambda d: delete_user(DeleteUserCommand(_Deleted().load(d)["id"])),
        "organization.created": lambda d: sync_organization(SyncOrganizationCommand(**_org(d))),
        "organization.updated": lambda d: sync_organization(SyncOrganizationCommand(**_org(d))),
        "organization.deleted": lambda d: delete_organization(
            DeleteOrganizationCommand(_Deleted().load(d)["id"])
        ),
        "organizationMembership.created": lambda d: sync_membership(_membership_command(d)),
        "organizationMembership.updated": lambda d: sync_membership(_membership_command(d)),
        "organizationMembership.deleted": lambda d: remove_membership(_removal_command(d)),
    }
    key, fingerprint = f"clerk-webhook:{message_id}", hashlib.sha256(raw).hexdigest()
    claim = store.claim(key, fingerprint)
    if claim.outcome is ClaimOutcome.REPLAY:
        event_type = _event_type(raw)
        return json_response(
            WebhookResultSchema(),
            {"received": True, "type": event_type, "applied": False, "duplicate": True},
        )
    if claim.outcome is ClaimOutcome.MISMATCH:
        raise ProblemError(
            422,
            "webhook-id-reused",
            "Webhook id reused",
            f"svix message {message_id} was already received with a different body",
        )
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        raise ProblemError(
            409,
            "webhook-in-progress",
            "Already being processed",
            f"svix message {message_id} is being processed; it will be applied once",
        )
    try:
        event = load_json(raw, ClerkEventSchema())
        handler = handlers.get(event["type"])
        applied = handler(event["data"]) if handler is not None else False
        response = json_response(
            WebhookResultSchema(),
            {"received": True, "type": event["type"], "applied": applied, "duplicate": False},
        )
    except BaseException:
        store.release(key, fingerprint)
        raise
    store.complete(key, fingerprint, StoredResponse(200, (), response.get_data()))
    return response


def _removal_command(data: dict[str, Any]) -> RemoveMembershipCommand:
    membership = _membership_command(data)
    return RemoveMembershipCommand(membership.organization_id, membership.user_id)


def _org(data: dict[str, Any]) -> dict[str, str]:
    organization = _Organization().load(data)
    return {"organization_id": organization["id"], "name": organization["name"]}


def _event_type(raw: bytes) -> str:
    try:
        event = parse_json(raw)
    except ValueError:
        return ""
    value = event.get("type") if isinstance(event, dict) else None
    return value if isinstance(value, str) else ""
