"""Production sign-in: the front end hands a Clerk session token over once, from its own
origin; the console verifies and admits it, then keeps its own cookie."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from manyfutures.entrypoints.http.app import create_app
from tests.integration.api.apps import build, clerk_settings
from tests.unit.http.clerk_tokens import PARTIES
from tests.unit.http.test_clerk_auth import KEY

FRONT_END = PARTIES[0]


@pytest.fixture
def client() -> FlaskClient:
    return create_app(build(clerk_settings("memory"))).test_client()


def _hand_over(client: FlaskClient, token: str, origin: str | None = FRONT_END) -> int:
    headers = {"Origin": origin} if origin else {}
    form = {"token": token, "next": "/projects/new"}
    response = client.post("/sign-in/clerk", data=form, headers=headers)
    return response.status_code


def test_a_verified_token_from_the_front_end_starts_a_session(client: FlaskClient) -> None:
    token = KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})

    response = client.post(
        "/sign-in/clerk",
        data={"token": token, "next": "/projects/new"},
        headers={"Origin": FRONT_END},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/projects/new"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # The session outlives the token: no Clerk token is sent from here on.
    assert client.get("/projects").status_code == 200


@pytest.mark.parametrize(
    "origin", [None, "https://evil.example", "null"], ids=["none", "other-site", "opaque"]
)
def test_a_hand_over_from_another_origin_is_refused(
    client: FlaskClient, origin: str | None
) -> None:
    token = KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})

    assert _hand_over(client, token, origin) == 403
    assert client.get("/projects").status_code == 303


def test_a_forged_token_is_refused(client: FlaskClient) -> None:
    token = KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert _hand_over(client, forged) == 401
    assert client.get("/projects").status_code == 303


def test_a_token_without_an_organization_is_refused(client: FlaskClient) -> None:
    assert _hand_over(client, KEY.token(sub="user_a", o=None)) == 403


def test_the_dev_sign_in_is_off_with_clerk(client: FlaskClient) -> None:
    page = client.get("/sign-in").get_data(as_text=True)

    assert "Development sign-in" not in page
    assert client.post("/sign-in/dev", data={"identity": "0"}).status_code in (400, 404)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_next_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    token = KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})

    response = client.post(
        "/sign-in/clerk", data={"token": token, "next": target}, headers={"Origin": FRONT_END}
    )

    assert response.headers["Location"] == "/"
