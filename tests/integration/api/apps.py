"""The real app with Clerk authentication over memory or PostgreSQL storage.

Built through the container like production; only the clock and ids are replaced
(steppable, readable). Tokens are RS256 session tokens signed by the test key the
app is configured to trust, and webhooks are svix-signed deliveries, so every
request takes the path a production request takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from svix.webhooks import Webhook
from werkzeug.test import TestResponse

from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import CONSOLE_SECRET, UNSUBSCRIBE_SECRET, deterministic_container
from tests.support.fakes import ManualClock
from tests.unit.http.clerk_tokens import ISSUER, PARTIES
from tests.unit.http.conftest import WEBHOOK_SECRET
from tests.unit.http.test_clerk_auth import KEY

MODES = ("memory", "postgres")


def clerk_settings(storage: str, database: MigratedDatabase | None = None) -> Settings:
    values: dict[str, Any] = {
        "storage": storage,
        "unsubscribe_secret": UNSUBSCRIBE_SECRET,
        "console_secret": CONSOLE_SECRET,
        "auth": "clerk",
        "clerk_issuer": ISSUER,
        "clerk_jwt_key": KEY.public_pem,
        "clerk_authorized_parties": ",".join(PARTIES),
        "clerk_webhook_signing_secret": WEBHOOK_SECRET,
        # Tests exercise validation and concurrency, never the 429 path, nor the plan's
        # limit on active projects (tested on its own).
        "rate_limit": "1000000 per minute",
        "default_max_active_projects": 100_000,
    }
    if database is not None:
        values["app_database_url"] = database.app_url.render_as_string(hide_password=False)
    return Settings(**values)


def build(settings: Settings, clock: ManualClock | None = None) -> Container:
    return deterministic_container(settings, clock)


def session(user: str, org: str, role: str = "admin") -> dict[str, str]:
    """The Authorization header of a fresh session token for ``user`` acting in ``org``."""
    return {"Authorization": f"Bearer {KEY.token(sub=user, o={'id': org, 'rol': role})}"}


_SIGNER = Webhook(WEBHOOK_SECRET)


@dataclass
class ClerkApp:
    container: Container
    app: Flask
    client: FlaskClient
    _deliveries: int = 0

    def as_(self, user: str, org: str, role: str = "admin") -> ClerkCaller:
        return ClerkCaller(self.client, user, org, role)

    def webhook(self, kind: str, data: dict[str, Any]) -> TestResponse:
        """Deliver a svix-signed Clerk event, as Clerk would."""
        self._deliveries += 1
        message_id = f"msg_{self._deliveries}"
        body = json.dumps({"type": kind, "object": "event", "data": data})
        now = datetime.now(UTC)
        response = self.client.post(
            "/webhooks/clerk",
            data=body,
            content_type="application/json",
            headers={
                "svix-id": message_id,
                "svix-timestamp": str(int(now.timestamp())),
                "svix-signature": _SIGNER.sign(message_id, now, body),
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response


@dataclass
class ClerkCaller:
    client: FlaskClient
    user: str
    org: str
    role: str

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {**session(self.user, self.org, self.role), **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)


def clerk_app(mode: str, request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ClerkApp]:
    """The app in ``mode``; in Postgres mode on the session's database, emptied first."""
    database: MigratedDatabase | None = None
    if mode == "postgres":
        database = request.getfixturevalue("postgres_database")
        database.reset()
    container = build(clerk_settings(mode, database), clock)
    app = create_app(container)
    try:
        yield ClerkApp(container, app, app.test_client())
    finally:
        container.unwire()
        if database is not None:
            container.adapters.postgres_engine().dispose()
