"""The console: server-rendered pages for readers, admins and operators (ADR 0022).

One blueprint, ``console``, mounted at ``/`` beside the API's ``/v1``. Each page
module owns a child blueprint listed in ``PAGE_BLUEPRINTS``; its views call use
cases exactly as ``entrypoints/http`` does (``@inject`` with ``Provide[...]``: the
modules are wired here), with ``current_console_user().actor``. Before any view:

1. every POST must carry the form's CSRF token (Flask-WTF), unless the view is
   marked ``csrf_exempt`` (only the Clerk hand-over, which checks its Origin);
2. every view not marked ``public`` needs a live session: the cookie is read, its
   age checked against ``console_session_seconds``, and ``ResumeSession`` re-reads
   the membership, so a deleted user, organization or membership is signed out at
   once (``guard.py``, ``session.py``).

Domain errors render ``console/error.html`` with the API's status (``errors.py``).
Assets are the package's own (``static/console``), served under /console/static.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from manyfutures.container import Container
from manyfutures.core.identity.ports import AuthenticationError
from manyfutures.core.identity.resume_session import ResumeSession, ResumeSessionQuery
from manyfutures.core.operations.use_cases import Operators
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.core.shared.ports import Clock
from manyfutures.entrypoints.console import (
    admin,
    episodes,
    errors,
    notifications,
    operator,
    projects,
    sign_in,
)
from manyfutures.entrypoints.console.guard import ConsoleUser, is_csrf_exempt, is_public
from manyfutures.entrypoints.console.navigation import register_template_helpers
from manyfutures.entrypoints.console.redirects import to_sign_in
from manyfutures.entrypoints.console.session import (
    ConsoleSessionInterface,
    end_session,
    stored_session,
)
from manyfutures.log_context import bind
from manyfutures.settings import PREFIX, SettingsError

# Append a page module's blueprint here; it is wired and mounted under ``console``.
PAGE_BLUEPRINTS: tuple[Blueprint, ...] = (
    sign_in.blueprint,
    projects.blueprint,
    episodes.blueprint,
    notifications.blueprint,
    admin.blueprint,
    operator.blueprint,
)
COOKIE_NAME = "manyfutures_console"
STATIC_ENDPOINT = "console.static"
# Only the package's own scripts run (htmx, console.js: no inline script, no eval), no
# other site may frame a page (clickjacking a POST button), forms post only here.
# Inline style attributes stay allowed for server-drawn SVG charts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def register_console(app: Flask, container: Container) -> None:
    config = container.config
    secret = config.console_secret()
    if not secret:
        raise SettingsError(
            f"{PREFIX}CONSOLE_SECRET is needed to serve the console outside memory storage "
            "(e.g. `openssl rand -hex 32`): it signs the console's session cookie"
        )
    app.secret_key = secret
    app.session_interface = ConsoleSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(config.public_url() or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=config.console_session_seconds()),
        # The expiry counts from sign-in, not from the last request.
        SESSION_REFRESH_EACH_REQUEST=False,
        # Checked by the console's own hook below, so the API's POSTs never are.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as its session: a form left open an hour still posts.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf = CSRFProtect(app)
    container.wire(modules=[sys.modules[page.import_name] for page in PAGE_BLUEPRINTS])

    console = Blueprint(
        "console",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/console/static",
    )
    for page in PAGE_BLUEPRINTS:
        console.register_blueprint(page)
    resume: ResumeSession = container.identity.resume_session()
    clock: Clock = container.adapters.clock()
    lifetime = timedelta(seconds=config.console_session_seconds())
    # The same list the operator page's use case checks (core/operations).
    operators: Operators = container.operations.operators()

    @console.before_request
    def _guard() -> ResponseReturnValue | None:
        if request.endpoint == STATIC_ENDPOINT:
            return None
        view = current_app.view_functions.get(request.endpoint or "")
        if request.method == "POST" and not (view is not None and is_csrf_exempt(view)):
            csrf.protect()
        if view is not None and is_public(view):
            return None
        return _resume(resume, clock, lifetime, operators)

    @console.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != STATIC_ENDPOINT:
            # A signed-in page must not come back from a cache after signing out.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    errors.register_error_pages(console)
    register_template_helpers(console)
    app.register_blueprint(console)


def _resume(
    resume: ResumeSession, clock: Clock, lifetime: timedelta, operators: Operators
) -> ResponseReturnValue | None:
    stored = stored_session()
    if stored is None:
        return to_sign_in()
    if stored.expired(clock.now(), lifetime):
        end_session()
        return to_sign_in("Your session has expired: sign in again.")
    try:
        resumed = resume(ResumeSessionQuery(stored.user_id, stored.organization_id))
    except (AuthenticationError, PermissionDeniedError) as error:
        end_session()
        return to_sign_in(f"Your session has ended: {error}.")
    # Unbound with the request id at the end of the request, as the API's (observability.py).
    bind(organization_id=resumed.actor.organization_id)
    g.console_user = ConsoleUser(
        actor=resumed.actor,
        is_operator=operators.includes(resumed.actor.user_id),
        user_name=resumed.user_name,
        timezone=resumed.timezone,
        organization_name=resumed.organization_name,
    )
    return None
