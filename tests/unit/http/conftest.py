"""The real app over memory storage, built through the container like production.

Only the clock and ids are overridden (deterministic, steppable); everything else
is the wiring ``make run`` uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from manyfutures.adapters.idempotency import Claim, IdempotencyStore, StoredResponse
from manyfutures.container import Container
from manyfutures.core.identity.use_cases import SyncMembershipCommand, SyncUserCommand
from manyfutures.core.shared.actor import Role
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.support.builders import T0
from tests.support.container import deterministic_container
from tests.support.fakes import ManualClock

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TEST_SETTINGS = Settings(
    rate_limit="100000 per minute", clerk_webhook_signing_secret=WEBHOOK_SECRET
)


@dataclass
class Api:
    """A test client that sends one caller's dev-auth headers."""

    client: FlaskClient
    user: str = "user_a"
    org: str = "org_a"
    role: str = "admin"

    def as_(self, user: str, org: str, role: str = "member") -> Api:
        return replace(self, user=user, org=org, role=role)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "X-Dev-User": self.user,
            "X-Dev-Org": self.org,
            "X-Dev-Role": self.role,
            **(extra or {}),
        }

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.client.open(path, method=method, headers=self.headers(headers), **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


class StoreThatCannotComplete:
    """Redis failing between the commit and storing the response: claims still work."""

    def __init__(self, inner: IdempotencyStore) -> None:
        self._inner = inner

    def claim(self, key: str, fingerprint: str) -> Claim:
        return self._inner.claim(key, fingerprint)

    def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        raise ConnectionError("redis went away")

    def release(self, key: str, fingerprint: str) -> None:
        self._inner.release(key, fingerprint)


def build_test_container(
    settings: Settings = TEST_SETTINGS, clock: ManualClock | None = None
) -> Container:
    return deterministic_container(settings, clock)


def seed_tenants(container: Container) -> None:
    """org_a: user_a (admin), user_m (member); org_b: user_b (admin)."""
    for user, org, role in (
        ("user_a", "org_a", Role.ADMIN),
        ("user_m", "org_a", Role.MEMBER),
        ("user_b", "org_b", Role.ADMIN),
    ):
        email = f"{user}@example.org"
        container.identity.sync_user()(SyncUserCommand(user, email, user, "Europe/Paris"))
        container.identity.sync_membership()(
            SyncMembershipCommand(org, f"Org {org}", user, email, user, role)
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def container(clock: ManualClock) -> Iterator[Container]:
    container = build_test_container(clock=clock)
    seed_tenants(container)
    yield container
    container.unwire()


@pytest.fixture
def app(container: Container) -> Flask:
    return create_app(container)


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def member(api: Api) -> Api:
    return api.as_("user_m", "org_a", "member")


@pytest.fixture
def other_org(api: Api) -> Api:
    return api.as_("user_b", "org_b", "admin")


def create_project(api: Api, **overrides: Any) -> dict[str, Any]:
    body = {"title": "Future of energy", "brief": "Grid storage and policy", **overrides}
    response = api.post("/v1/projects", json=body)
    assert response.status_code == 201, response.get_json()
    project: dict[str, Any] = response.get_json()
    return project


def assert_problem(response: TestResponse, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"] and isinstance(body["detail"], str)
    return body
