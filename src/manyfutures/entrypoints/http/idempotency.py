"""``Idempotency-Key`` for POSTs: a retried request returns the first response.

Runs around every POST under /v1 (each one creates or changes something). The key
is scoped to the caller, and the request is fingerprinted by method, path and
canonical JSON body: a replay within 24 h with the same fingerprint returns the
stored response (with ``Idempotent-Replayed: true``); the same key with a different
request is a 422; a replay while the first is still running is a 409. Only 2xx
responses are kept: after a 4xx/5xx the key is released, so the client can fix the
request and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from functools import partial

from flask import Flask, Response, g, request

from manyfutures.adapters.idempotency import (
    Claim,
    ClaimOutcome,
    IdempotencyStore,
    StoredResponse,
)
from manyfutures.entrypoints.http.auth import current_actor, is_api_request
from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.requests import parsed_body

logger = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}\Z")
_REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


def fingerprint() -> str:
    try:
        body = json.dumps(parsed_body(), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = request.get_data(cache=True)
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def proceed_or_replay(
    claim: Claim, reused: ProblemError, in_progress: ProblemError
) -> StoredResponse | None:
    """What a claim means for the request: None to proceed (it holds the key), else the
    stored response to replay; a different request under the key raises ``reused``, and
    one still running raises ``in_progress``. Shared with the Clerk webhook's svix-id."""
    if claim.outcome is ClaimOutcome.MISMATCH:
        raise reused
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        raise in_progress
    if claim.outcome is ClaimOutcome.REPLAY:
        assert claim.response is not None
        return claim.response
    return None


def _claim(store: IdempotencyStore) -> Response | None:
    if request.method != "POST" or not is_api_request():
        return None
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise ProblemError(
            422,
            "validation-error",
            "Your request is not valid",
            f"{HEADER} must be 1 to 255 visible ASCII characters",
            errors={HEADER: ["must be 1 to 255 visible ASCII characters"]},
        )
    actor = current_actor()
    scoped = f"{actor.organization_id}:{actor.user_id}:{key}"
    print_ = fingerprint()
    stored = proceed_or_replay(
        store.claim(scoped, print_),
        reused=ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            f"this {HEADER} was already used for a different request; use a new key",
        ),
        in_progress=ProblemError(
            409,
            "idempotency-in-progress",
            "Request in progress",
            f"a request with this {HEADER} is still being processed; retry shortly",
            headers={"Retry-After": "1"},
        ),
    )
    if stored is not None:
        replay = Response(stored.body, status=stored.status)
        for name, value in stored.headers:
            replay.headers[name] = value
        replay.headers[REPLAYED_HEADER] = "true"
        return replay
    g.idempotency = (scoped, print_)
    return None


def _remember(store: IdempotencyStore, response: Response) -> Response:
    claimed: tuple[str, str] | None = g.pop("idempotency", None)
    if claimed is None:
        return response
    key, print_ = claimed
    if 200 <= response.status_code < 300 and not response.is_streamed:
        headers = tuple(
            (name, response.headers[name]) for name in _REPLAYED_HEADERS if name in response.headers
        )
        keep_response(
            store,
            key,
            print_,
            StoredResponse(response.status_code, headers, response.get_data()),
        )
    else:
        store.release(key, print_)
    return response


def keep_response(
    store: IdempotencyStore, key: str, fingerprint: str, response: StoredResponse
) -> None:
    """Called once the change is committed: a store failure now must not turn the 2xx into
    a 500, which the client would retry into a 409 and later a duplicate. It is logged, and
    the pending claim expires by itself."""
    try:
        store.complete(key, fingerprint, response)
    except Exception:
        logger.exception("could not keep the response for idempotency key %r", key)


def _release_on_crash(store: IdempotencyStore, error: BaseException | None) -> None:
    claimed: tuple[str, str] | None = g.pop("idempotency", None)
    if claimed is not None:
        store.release(*claimed)


def register_idempotency(app: Flask, store: IdempotencyStore) -> None:
    """Call after authentication's before_request: keys are scoped to the caller."""
    app.before_request(partial(_claim, store))
    app.after_request(partial(_remember, store))
    app.teardown_request(partial(_release_on_crash, store))
