"""The console's session cookie: who signed in, to which organization, and when.

Flask's own signed cookie session (itsdangerous, keyed by MANYFUTURES_CONSOLE_SECRET)
holds three values and nothing else: the user id, the organization id and the
sign-in time from the injected clock. The role is never stored: every request reads
it afresh (``ResumeSession``). A session ends ``console_session_seconds`` after
sign-in whatever the reader does meanwhile; Flask's own max-age check on the cookie
is only the backstop. Flask-WTF keeps its CSRF secret in the same cookie, so signing
in or out also changes the CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

USER_KEY = "console_user"
ORGANIZATION_KEY = "console_org"
SIGNED_IN_KEY = "console_signed_in_at"


@dataclass(frozen=True, slots=True)
class StoredSession:
    user_id: str
    organization_id: str
    signed_in_at: datetime

    def expired(self, now: datetime, lifetime: timedelta) -> bool:
        return now >= self.signed_in_at + lifetime


def start_session(user_id: str, organization_id: str, now: datetime) -> None:
    """A new session replaces whatever the cookie held, CSRF secret included, so a token
    planted before sign-in (session fixation) is worth nothing after it."""
    session.clear()
    session.permanent = True  # the cookie carries Expires, not only a browser session
    session[USER_KEY] = user_id
    session[ORGANIZATION_KEY] = organization_id
    session[SIGNED_IN_KEY] = now.timestamp()


def stored_session() -> StoredSession | None:
    user_id = session.get(USER_KEY)
    organization_id = session.get(ORGANIZATION_KEY)
    signed_in_at = session.get(SIGNED_IN_KEY)
    if not (
        isinstance(user_id, str)
        and isinstance(organization_id, str)
        and isinstance(signed_in_at, int | float)
    ):
        return None
    return StoredSession(user_id, organization_id, datetime.fromtimestamp(signed_in_at, UTC))


def end_session() -> None:
    session.clear()


# The paths that authenticate otherwise (a bearer token; a webhook's token or signature)
# and never read the console's cookie: the API, and n8n's and Clerk's callbacks.
NO_SESSION_PATHS = ("/v1", "/webhooks")


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with two savings for the API and the webhooks, which
    authenticate otherwise and never read the console's cookie.

    - No session is opened for a request under ``/v1`` or ``/webhooks`` (n8n calls back
      four times per episode; Flask then gives such a request a null
      session, which it never saves: no cookie and no ``Vary: Cookie``, as before, since
      nothing on those routes read the session).
    - The signing serializer is built once per set of keys, not on every request (Flask
      builds one per request, and itsdangerous checks its payload serializer with a
      ``dumps({})`` each time); it keeps no state between calls.
    """

    def __init__(self) -> None:
        self._serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        path = request.path
        for prefix in NO_SESSION_PATHS:
            if path == prefix or path.startswith(prefix + "/"):
                return None
        return super().open_session(app, request)
