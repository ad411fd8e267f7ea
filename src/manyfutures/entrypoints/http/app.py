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

from flask import Blueprint, Flask, g, request

from manyfutures.container import Container
from manyfutures.entrypoints.console import register_console
from manyfutures.entrypoints.http import (
    conversations,
    episode_feedback,
    episodes,
    events,
    health,
    highlights,
    me,
    memories,
    metrics,
    n8n_webhooks,
    notifications,
    organization,
    planning_notes,
    problems,
    projects,
    unsubscribe,
    usage,
    usage_history,
    webhooks,
)
from manyfutures.entrypoints.http.auth import (
    admit,
    authenticate,
    is_api_request,
)
from manyfutures.entrypoints.http.docs import publish_spec, register_docs
from manyfutures.entrypoints.http.idempotency import register_idempotency
from manyfutures.entrypoints.http.observability import register_observability
from manyfutures.entrypoints.http.prometheus import metrics_blueprint
from manyfutures.entrypoints.http.rate_limit import limit_rate
from manyfutures.entrypoints.http.request_limits import ApiRequest, refuse_oversized_headers
from manyfutures.entrypoints.http.requests import reject_nul_in_url
from manyfutures.log_context import bind

logger = logging.getLogger(__name__)

API_BLUEPRINTS = (
    me.blueprint,
    projects.blueprint,
    episodes.blueprint,
    planning_notes.blueprint,
    highlights.blueprint,
    memories.blueprint,
    episode_feedback.blueprint,
    events.blueprint,
    organization.blueprint,
    usage_history.blueprint,
    usage.blueprint,
    metrics.blueprint,
    conversations.blueprint,
    notifications.blueprint,
)
ROOT_BLUEPRINTS = (
    health.blueprint,
    webhooks.blueprint,
    n8n_webhooks.blueprint,
    unsubscribe.blueprint,
)
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

    # First, so even a request the next hooks refuse has its id and is counted.
    register_observability(app)
    app.before_request(refuse_oversized_headers)
    app.before_request(reject_nul_in_url)

    rate_limiter = container.http.rate_limiter()
    admission = container.identity.admit_session()
    admitted = container.http.admitted_sessions()

    # One hook for the /v1 steps, in order (one routing check, not three): authenticate;
    # rate-limit per user (hence after authentication; the webhooks never reach it);
    # admit, after the limit so a refused session cannot make a user cost reads unbounded.
    # OPTIONS is limited per address and neither authenticated nor admitted.
    @app.before_request
    def _api_request() -> None:
        if not is_api_request():
            return
        preflight = request.method == "OPTIONS"
        if not preflight:
            authenticate(verifier)
            # Unbound with the request id, at the end of the request (observability.py).
            bind(organization_id=g.actor.organization_id)
        limit_rate(rate_limiter)
        if not preflight:
            admit(admission, admitted)

    register_idempotency(app, container.http.idempotency_store())

    api = Blueprint("v1", __name__, url_prefix="/v1")
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(api)
    for blueprint in ROOT_BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(
        metrics_blueprint(container.config.metrics_token(), container.config.metrics_dir())
    )
    register_docs(app)
    publish_spec(app)
    # The server-rendered console at / (entrypoints/console, ADR 0022).
    register_console(app, container)
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
