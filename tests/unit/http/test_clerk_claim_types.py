"""Signed session tokens whose claims have the wrong JSON type: a 401, never a 500.

Clerk signs every token we accept, so a malformed claim means a misconfigured
session template or a Clerk change, not an attacker; either way the caller gets
an ordinary 401 problem, with or without ``CLERK_AUTHORIZED_PARTIES``. The tokens
are real RS256 tokens signed by a test key; hypothesis picks the claim values.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.entrypoints.http.app import create_app
from tests.unit.http.clerk_tokens import SigningKey
from tests.unit.http.conftest import build_test_container, seed_tenants
from tests.unit.http.test_clerk_auth import KEY, bearer, clerk_settings

# Any JSON value PyJWT can sign (JSON has no NaN or infinity).
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
NOT_A_STRING = JSON.filter(lambda value: value is not None and not isinstance(value, str))
NOT_A_NUMBER = JSON.filter(
    lambda value: (
        value is not None and (isinstance(value, bool) or not isinstance(value, int | float))
    )
)
NOT_AN_OBJECT = JSON.filter(lambda value: value is not None and not isinstance(value, dict))

STRING_CLAIMS = ("azp", "sts", "sid")
NUMERIC_CLAIMS = ("exp", "iat", "nbf")


def _client(authorized_parties: bool) -> FlaskClient:
    overrides = {} if authorized_parties else {"clerk_authorized_parties": ""}
    container = build_test_container(clerk_settings(**overrides))
    seed_tenants(container)
    return create_app(container).test_client()


# Built once: hypothesis runs many examples per test function.
CLIENTS = {"parties configured": _client(True), "no parties": _client(False)}


def _answer(client: FlaskClient, key: SigningKey = KEY, **claims: Any) -> tuple[int, str]:
    response = client.get("/v1/me", headers=bearer(key.token(**claims)))
    return response.status_code, response.mimetype


def _assert_unauthenticated(client: FlaskClient, **claims: Any) -> None:
    response = client.get("/v1/me", headers=bearer(KEY.token(**claims)))
    assert response.status_code == 401, (claims, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=40, deadline=None)
@given(claim=st.sampled_from(STRING_CLAIMS), value=NOT_A_STRING)
def test_a_string_claim_of_another_type_is_401(parties: str, claim: str, value: Any) -> None:
    _assert_unauthenticated(CLIENTS[parties], **{claim: value})


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=30, deadline=None)
@given(value=NOT_A_STRING)
def test_a_subject_that_is_not_a_string_is_401(parties: str, value: Any) -> None:
    _assert_unauthenticated(CLIENTS[parties], sub=value)


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=40, deadline=None)
@given(claim=st.sampled_from(NUMERIC_CLAIMS), value=NOT_A_NUMBER | st.just("9999999999"))
def test_a_time_claim_that_is_not_a_number_is_401(parties: str, claim: str, value: Any) -> None:
    _assert_unauthenticated(CLIENTS[parties], **{claim: value})


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=40, deadline=None)
@given(
    organization=NOT_AN_OBJECT
    | st.fixed_dictionaries({"id": NOT_A_STRING, "rol": st.just("admin")})
    | st.fixed_dictionaries({"id": st.just("org_c"), "rol": NOT_A_STRING})
)
def test_an_organization_claim_of_the_wrong_shape_is_401(parties: str, organization: Any) -> None:
    _assert_unauthenticated(CLIENTS[parties], o=organization)


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=30, deadline=None)
@given(claim=st.sampled_from(("org_id", "org_role")), value=NOT_A_STRING)
def test_v1_organization_claims_of_another_type_are_401(
    parties: str, claim: str, value: Any
) -> None:
    v1 = {"o": None, "v": None, "org_id": "org_a", "org_role": "org:admin", claim: value}
    _assert_unauthenticated(CLIENTS[parties], **v1)


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=20, deadline=None)
@given(value=NOT_A_NUMBER)
def test_a_version_claim_that_is_not_a_number_is_401(parties: str, value: Any) -> None:
    _assert_unauthenticated(CLIENTS[parties], v=value)


@pytest.mark.parametrize("parties", list(CLIENTS))
def test_an_array_or_object_azp_is_401_not_500(parties: str) -> None:
    """The case that was a 500 (``unhashable type``) with authorized parties configured."""
    for azp in (["https://app.example.test"], {"origin": "https://app.example.test"}):
        _assert_unauthenticated(CLIENTS[parties], azp=azp)


@pytest.mark.parametrize("parties", list(CLIENTS))
@settings(max_examples=60, deadline=None)
@given(
    claim=st.sampled_from(
        ("sub", "iss", "azp", "sid", "sts", "v", "o", "org_id", "org_role", "jti", "fva", "pla")
    ),
    value=JSON,
)
def test_any_value_in_any_claim_is_answered_never_a_500(
    parties: str, claim: str, value: Any
) -> None:
    status, mimetype = _answer(CLIENTS[parties], **{claim: value})
    assert status in (200, 401, 403)
    assert status == 200 or mimetype == "application/problem+json"


def test_well_typed_claims_still_authenticate() -> None:
    for client in CLIENTS.values():
        assert _answer(client, exp=4_102_444_800.5)[0] == 200  # NumericDate may be fractional
        assert _answer(client, azp=None, sts=None, sid=None)[0] == 200  # optional claims
        assert _answer(client, fva=[3, -1], pla="o:pro", fea="o:chat")[0] == 200  # unread claims


@pytest.mark.parametrize("parties", list(CLIENTS))
def test_ids_that_are_not_clerk_ids_are_401(parties: str) -> None:
    """They would become database keys: NUL, spaces, surrogates and huge ids stop here."""
    for bad in ("user\x00x", "user x", "user_\ud800", "u" * 256):
        _assert_unauthenticated(CLIENTS[parties], sub=bad)
        _assert_unauthenticated(CLIENTS[parties], o={"id": bad, "rol": "admin"})
        _assert_unauthenticated(CLIENTS[parties], o=None, org_id=bad, org_role="org:admin")
