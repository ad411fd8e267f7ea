"""Clerk webhooks: keep users, organizations and memberships in step with Clerk.

Order of checks: the svix signature first (401 and nothing read or written if it
fails or is older than five minutes), then the svix-id is claimed so a redelivered
message is applied once, then the Clerk adapter translates the event into an identity
change and the one use case applies it. Unknown event types are acknowledged
(``applied: false``), so Clerk does not retry them forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import cast

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, request

from manyfutures.adapters.admitted_sessions import AdmittedSessions
from manyfutures.adapters.clerk.webhook_events import ClerkEventSchema, identity_change
from manyfutures.adapters.clerk.webhook_verifier import SvixWebhookVerifier
from manyfutures.adapters.idempotency import IdempotencyStore, StoredResponse
from manyfutures.container import Container
from manyfutures.core.identity.use_cases import ApplyIdentityChange
from manyfutures.entrypoints.http.idempotency import keep_response, proceed_or_replay
from manyfutures.entrypoints.http.json_loader import parse_json
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.requests import load_json
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import WebhookResultSchema

blueprint = Blueprint("webhooks", __name__)


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
    verifier: SvixWebhookVerifier = Provide[Container.http.webhook_verifier],
    store: IdempotencyStore = Provide[Container.http.idempotency_store],
    apply_identity_change: ApplyIdentityChange = Provide[Container.identity.apply_identity_change],
    admitted: AdmittedSessions = Provide[Container.http.admitted_sessions],
) -> Response:
    raw = request.get_data(cache=True)
    message_id = verifier.verify(raw, cast(Mapping[str, str], request.headers))
    key, fingerprint = f"clerk-webhook:{message_id}", hashlib.sha256(raw).hexdigest()
    stored = proceed_or_replay(
        store.claim(key, fingerprint),
        reused=ProblemError(
            422,
            "webhook-id-reused",
            "Webhook id reused",
            f"svix message {message_id} was already received with a different body",
        ),
        in_progress=ProblemError(
            409,
            "webhook-in-progress",
            "Already being processed",
            f"svix message {message_id} is being processed; it will be applied once",
        ),
    )
    if stored is not None:
        first = parse_json(stored.body)
        return json_response(
            WebhookResultSchema,
            {"received": True, "type": first["type"], "applied": False, "duplicate": True},
        )
    try:
        event = load_json(raw, ClerkEventSchema)
        change = identity_change(event["type"], event["data"])
        applied = apply_identity_change(change) if change is not None else False
        if applied:
            # A deletion must stop this process's sessions now, not at their next recheck.
            admitted.forget_all()
        response = json_response(
            WebhookResultSchema,
            {"received": True, "type": event["type"], "applied": applied, "duplicate": False},
        )
    except BaseException:
        store.release(key, fingerprint)
        raise
    keep_response(store, key, fingerprint, StoredResponse(200, (), response.get_data()))
    return response
