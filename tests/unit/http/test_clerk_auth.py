"""MANYFUTURES_AUTH=clerk: session JWTs verified with PyJWT, and every way they can be wrong."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from dependency_injector import providers
from flask.testing import FlaskClient

from manyfutures.adapters.clerk.session_verifier import ClerkSessionVerifier
from manyfutures.core.identity.ports import AuthenticationError, IdentityProviderUnavailableError
from manyfutures.core.shared.actor import Role
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.unit.http.clerk_tokens import (
    ISSUER,
    PARTIES,
    SigningKey,
    hs256_with_public_key,
    unsigned_token,
)
from tests.unit.http.conftest import assert_problem, build_test_container, seed_tenants

KEY = SigningKey("ins_key_1")
OTHER_KEY = SigningKey("ins_key_1")  # same kid, different key: a forged token
# RSA key generation is the slow part of these tests: every key is made once, here.
FIRST_KEY, ROTATED_KEY = SigningKey("kid_first"), SigningKey("kid_rotated")
UNPUBLISHED_KEY = SigningKey("kid_never_published")


def clerk_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth": "clerk",
        "clerk_issuer": ISSUER,
        "clerk_jwt_key": KEY.public_pem,
        "clerk_authorized_parties": ",".join(PARTIES),
        "rate_limit": "100000 per minute",
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def client() -> FlaskClient:
    container = build_test_container(clerk_settings())
    seed_tenants(container)
    return create_app(container).test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_bearer_token_authenticates_with_the_v2_org_claim(client: FlaskClient) -> None:
    me = client.get("/v1/me", headers=bearer(KEY.token()))
    assert me.status_code == 200, me.get_json()
    body = me.get_json()
    assert (body["user"]["id"], body["organization"]["id"], body["role"]) == (
        "user_c",
        "org_c",
        "admin",
    )


def test_the_session_cookie_works_too(client: FlaskClient) -> None:
    client.set_cookie("__session", KEY.token(o={"id": "org_c", "rol": "member"}))
    me = client.get("/v1/me")
    assert me.status_code == 200
    assert me.get_json()["role"] == "member"


def test_v1_org_claims_are_understood(client: FlaskClient) -> None:
    token = KEY.token(o=None, v=None, org_id="org_a", org_role="org:admin")
    body = client.get("/v1/me", headers=bearer(token)).get_json()
    assert (body["organization"]["id"], body["role"]) == ("org_a", "admin")
    member = KEY.token(o=None, v=None, org_id="org_a", org_role="org:member")
    assert client.get("/v1/me", headers=bearer(member)).get_json()["role"] == "member"


def test_admin_role_reaches_admin_routes_and_member_does_not(client: FlaskClient) -> None:
    admin = KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})
    assert client.get("/v1/organization", headers=bearer(admin)).status_code == 200
    member = KEY.token(sub="user_m", o={"id": "org_a", "rol": "member"})
    assert_problem(client.get("/v1/organization", headers=bearer(member)), 403, "forbidden")


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda: KEY.token(exp=int(time.time()) - 10, iat=int(time.time()) - 70), "expired"),
        (lambda: KEY.token(nbf=int(time.time()) + 30), "not valid yet"),
        (lambda: KEY.token(iss="https://evil.example"), "another issuer"),
        (lambda: KEY.token(azp="https://evil.example"), "another application"),
        (lambda: OTHER_KEY.token(), "signature does not verify"),
        (lambda: unsigned_token(), "RS256"),
        (lambda: hs256_with_public_key(KEY.public_pem), "RS256"),
        (lambda: KEY.token(sts="pending"), "pending"),
        (lambda: KEY.token(exp=None), "not valid"),
        (lambda: KEY.token(sub=None), "not valid"),
        (lambda: "not.a.jwt", "well-formed"),
        (lambda: "garbage", "well-formed"),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "wrong-issuer",
        "wrong-azp",
        "wrong-key",
        "alg-none",
        "hs256-signed-with-public-key",
        "pending-session",
        "no-exp",
        "no-sub",
        "three-garbage-parts",
        "garbage",
    ],
)
def test_bad_tokens_are_401(
    client: FlaskClient, make_token: Callable[[], str], message: str
) -> None:
    # Tokens are made when the test runs: a "not yet valid" token made at collection
    # time would have become valid by the time a long suite reaches it.
    response = client.get("/v1/me", headers=bearer(make_token()))
    body = assert_problem(response, 401, "unauthenticated")
    assert message in body["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_clock_skew_within_five_seconds_is_tolerated(client: FlaskClient) -> None:
    now = int(time.time())
    assert (
        client.get("/v1/me", headers=bearer(KEY.token(exp=now - 3, iat=now - 63))).status_code
        == 200
    )
    assert client.get("/v1/me", headers=bearer(KEY.token(nbf=now + 3))).status_code == 200
    assert (
        client.get("/v1/me", headers=bearer(KEY.token(exp=now - 8, iat=now - 68))).status_code
        == 401
    )


def test_azp_is_optional_and_checked_only_against_configured_parties(client: FlaskClient) -> None:
    assert client.get("/v1/me", headers=bearer(KEY.token(azp=None))).status_code == 200
    assert client.get("/v1/me", headers=bearer(KEY.token(azp=PARTIES[1]))).status_code == 200
    open_container = build_test_container(clerk_settings(clerk_authorized_parties=""))
    open_client = create_app(open_container).test_client()
    assert (
        open_client.get("/v1/me", headers=bearer(KEY.token(azp="https://any.example"))).status_code
        == 200
    )


def test_no_active_organization_is_403_saying_so(client: FlaskClient) -> None:
    response = client.get("/v1/me", headers=bearer(KEY.token(o=None)))
    body = assert_problem(response, 403, "forbidden")
    assert "no active organization" in body["detail"]


def test_missing_or_non_bearer_credentials_are_401(client: FlaskClient) -> None:
    assert "sign in" in assert_problem(client.get("/v1/me"), 401, "unauthenticated")["detail"]
    basic = client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert "Bearer" in assert_problem(basic, 401, "unauthenticated")["detail"]
    dev = client.get("/v1/me", headers={"X-Dev-User": "user_a", "X-Dev-Org": "org_a"})
    assert_problem(dev, 401, "unauthenticated")


def test_a_pem_with_escaped_newlines_is_accepted() -> None:
    escaped = KEY.public_pem.replace("\n", "\\n")
    verifier = ClerkSessionVerifier(ISSUER, PARTIES, jwt_key=escaped)
    assert verifier.verify({"Authorization": f"Bearer {KEY.token()}"}, {}).user_id == "user_c"


def test_a_bad_key_configuration_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="PEM"):
        create_app(build_test_container(clerk_settings(clerk_jwt_key="not a pem")))
    with pytest.raises(ValueError, match=r"CLERK_JWT_KEY .* or CLERK_JWKS_URL"):
        create_app(build_test_container(clerk_settings(clerk_jwt_key="")))


class _Jwks:
    """A local JWKS endpoint whose keys the test can rotate, counting fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks() -> Iterator[_Jwks]:
    server = _Jwks()
    yield server
    server.close()


def test_jwks_keys_are_cached_and_refreshed_on_an_unknown_kid(jwks: _Jwks) -> None:
    first, rotated = FIRST_KEY, ROTATED_KEY
    jwks.keys = [first.jwk()]
    verifier = ClerkSessionVerifier(
        ISSUER, PARTIES, jwks_url=jwks.url, jwks_refresh_cooldown_seconds=0
    )

    for _ in range(3):
        assert verifier.verify(bearer(first.token()), {}).user_id == "user_c"
    assert jwks.fetches == 1  # cached

    jwks.keys = [first.jwk(), rotated.jwk()]
    principal = verifier.verify(bearer(rotated.token(o={"id": "org_x", "rol": "member"})), {})
    assert (principal.organization_id, principal.role) == ("org_x", Role.MEMBER)
    assert jwks.fetches == 2  # one refresh for the new kid

    with pytest.raises(AuthenticationError, match="unknown key"):
        verifier.verify(bearer(UNPUBLISHED_KEY.token()), {})


def test_an_unreachable_jwks_is_503_not_401(jwks: _Jwks) -> None:
    url = jwks.url
    jwks.close()
    verifier = ClerkSessionVerifier(ISSUER, PARTIES, jwks_url=url)
    with pytest.raises(IdentityProviderUnavailableError):
        verifier.verify(bearer(KEY.token()), {})

    container = build_test_container(clerk_settings())
    container.http.identity_verifier.override(providers.Object(verifier))
    response = create_app(container).test_client().get("/v1/me", headers=bearer(KEY.token()))
    assert_problem(response, 503, "identity-provider-unavailable")
    assert response.headers["Retry-After"]


class _Decodes:
    """Counts the full verifications (PyJWT decodes) a verifier makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        decode = ClerkSessionVerifier._decode

        def counted(verifier: ClerkSessionVerifier, token: str) -> dict[str, Any]:
            self.count += 1
            return decode(verifier, token)

        monkeypatch.setattr(ClerkSessionVerifier, "_decode", counted)


def test_a_verified_token_is_remembered_until_its_exp_and_no_longer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes = _Decodes(monkeypatch)
    now = [time.time()]
    verifier = ClerkSessionVerifier(ISSUER, PARTIES, jwt_key=KEY.public_pem, timer=lambda: now[0])
    exp = int(now[0]) + 60
    token = KEY.token(exp=exp)
    for _ in range(3):
        assert verifier.verify(bearer(token), {}).user_id == "user_c"
    assert decodes.count == 1
    now[0] = exp - 0.001
    verifier.verify(bearer(token), {})
    assert decodes.count == 1
    now[0] = exp
    verifier.verify(bearer(token), {})
    assert decodes.count == 2


def test_the_token_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = _Decodes(monkeypatch)
    verifier = ClerkSessionVerifier(ISSUER, PARTIES, jwt_key=KEY.public_pem, cache_capacity=2)
    first, second, third = (KEY.token(sid=f"sess_{n}") for n in range(3))
    for token in (first, second, third, first):
        verifier.verify(bearer(token), {})
    assert decodes.count == 4  # the first was evicted by the third


def test_a_refused_token_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = _Decodes(monkeypatch)
    verifier = ClerkSessionVerifier(ISSUER, ("https://elsewhere.example",), jwt_key=KEY.public_pem)
    token = KEY.token()
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="another application"):
            verifier.verify(bearer(token), {})
    assert decodes.count == 2
