"""The Flask application factory: builds an app around an already-built container.

Request pipeline for a /v1 route, in order: header size (431), NUL in the URL (400),
authenticate (401/403) → rate limit per user (429) → admit the session (its rows
exist, or are created just in time; a deleted user is 401, a deleted organization or
membership 403) → Idempotency-Key claim (replay/409/422) → the handler, which parses its
input with a schema (400/413/415/422) and calls exactly one use case → domain errors
mapped to problem+json. Unknown routes and wrong methods answer 404/405 before any
of it.
"""

from __future__ import annotations

import logging
import sys

from flask import Blueprint, Flask, request
from flask_limiter import Limiter

from manyfutures.container import Container
from manyfutures.entrypoints.http import (
    episode_feedback,
    episodes,
    events,
    health,
    me,
    n8n_webhooks,
    organization,
    planning_notes,
    problems,
    projects,
    usage,
    usage_history,
    webhooks,
)
from manyfutures.entrypoints.http.auth import (
    admit,
    authenticate,
    is_api_request,
    rate_limit_key,
)
from manyfutures.entrypoints.http.docs import publish_spec, register_docs
from manyfutures.entrypoints.http.idempotency import register_idempotency
from manyfutures.entrypoints.http.request_limits import ApiRequest, refuse_oversized_headers
from manyfutures.entrypoints.http.requests import reject_nul_in_url

logger = logging.getLogger(__name__)

API_BLUEPRINTS = (
    me.blueprint,
    projects.blueprint,
    episodes.blueprint,
    planning_notes.blueprint,
    episode_feedback.blueprint,
    events.blueprint,
    organization.blueprint,
    usage_history.blueprint,
    usage.blueprint,
)
ROOT_BLUEPRINTS = (health.blueprint, webhooks.blueprint, n8n_webhooks.blueprint)
# Derived, not listed: a blueprint registered above but left unwired would answer 500
# with its Provide markers unresolved.
WIRED_MODULES = tuple(
    sys.modules[blueprint.import_name] for blueprint in (*API_BLUEPRINTS, *ROOT_BLUEPRINTS)
)


def create_app(container: Container) -> Flask:
    app = Flask("manyfutures")
    app.request_class = ApiRequest
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = container.config.max_body_bytes()
    container.wire(modules=list(WIRED_MODULES))
    problems.register_problem_handlers(app)

    # Built now, not on the first request: a bad PEM or webhook secret stops start-up.
    verifier = container.http.identity_verifier()
    container.http.webhook_verifier()
    _warn_about_dev_auth(container)

    app.before_request(refuse_oversized_headers)
    app.before_request(reject_nul_in_url)

    @app.before_request
    def _authenticate() -> None:
        if request.method != "OPTIONS" and is_api_request():
            authenticate(verifier)

    # Registered after authentication so the key can be the user, not the address.
    limiter = app.extensions["rate_limiter"] = Limiter(
        rate_limit_key,
        app=app,
        application_limits=[container.config.rate_limit()],
        storage_uri=container.http.rate_limit_storage_uri(),
        strategy="fixed-window",
        # Off: the extension would stamp its Retry-After on every response, overwriting
        # ours (409s); problems.py sets Retry-After on the 429 itself.
        headers_enabled=False,
        key_prefix="manyfutures",
    )
    # Only /v1 is limited (per user). A request filter, not ``application_limits_exempt_when``:
    # the extension asks its filters before resolving any limit, so the webhooks (n8n's four
    # callbacks per episode) skip its per-request limit resolution altogether.
    limiter.request_filter(lambda: not is_api_request())
    admission = container.identity.admit_session()
    admitted = container.http.admitted_sessions()

    # After the rate limit, so a refused session cannot make a user cost reads unbounded.
    @app.before_request
    def _admit() -> None:
        if request.method != "OPTIONS" and is_api_request():
            admit(admission, admitted)

    register_idempotency(app, container.http.idempotency_store())

    api = Blueprint("v1", __name__, url_prefix="/v1")
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(api)
    for blueprint in ROOT_BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_docs(app)
    publish_spec(app)
    return app


def _warn_about_dev_auth(container: Container) -> None:
    if container.config.auth() != "dev":
        return
    logger.warning(
        "\n%s\nDEV AUTHENTICATION IS ON (MANYFUTURES_AUTH=dev): any caller can act as any "
        "user in any organization by sending X-Dev-User / X-Dev-Org headers. Never expose "
        "this server to a network. Storage: %s.\n%s",
        "!" * 78,
        container.config.storage(),
        "!" * 78,
    )
