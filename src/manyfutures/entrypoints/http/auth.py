"""Resolve the caller into an Actor (user + active organization + role) per request,
and admit it: its user, organization and membership exist and were not deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from flask import g, request

from manyfutures.adapters.admitted_sessions import AdmittedSessions
from manyfutures.core.identity.admission import AdmitSession, AdmitSessionCommand
from manyfutures.core.identity.ports import IdentityVerifier
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import PermissionDeniedError

API_BLUEPRINT = "v1"


def is_api_request() -> bool:
    """A matched route under /v1 (unknown routes answer 404/405 before any auth)."""
    blueprint = request.blueprint or ""
    return request.routing_exception is None and (
        blueprint == API_BLUEPRINT or blueprint.startswith(API_BLUEPRINT + ".")
    )


def authenticate(verifier: IdentityVerifier) -> None:
    # werkzeug's Headers is a case-insensitive mapping; it just does not register as one.
    headers = cast(Mapping[str, str], request.headers)
    principal = verifier.verify(headers, request.cookies)
    if principal.organization_id is None or principal.role is None:
        raise PermissionDeniedError(
            "no active organization: select or create an organization, then retry"
        )
    g.actor = Actor(principal.user_id, principal.organization_id, principal.role)


def admit(admission: AdmitSession, admitted: AdmittedSessions) -> None:
    """Check the session's rows once per process and recheck interval, not per request:
    a remembered session costs a look-up; a new one is admitted (or refused) first."""
    actor = current_actor()
    if actor not in admitted:
        admission(AdmitSessionCommand(actor))
        admitted.add(actor)


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def rate_limit_key() -> str:
    """Per user across organizations; an unauthenticated request falls back to its address."""
    actor: Actor | None = g.get("actor")
    if actor is not None:
        return f"user:{actor.user_id}"
    return f"addr:{request.remote_addr or 'unknown'}"
