"""Generated If-Match, Idempotency-Key, Authorization and Content-Type headers, on
PostgreSQL with Clerk session tokens: never a 5xx, and a 4xx changes nothing.

Header values are drawn from what a server lets through to the application: any
Latin-1 text but CR, LF and NUL (which gunicorn and werkzeug refuse themselves).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.api.conftest import Deployment, postgres_deployment
from tests.integration.postgres.database import MigratedDatabase
from tests.unit.http.clerk_tokens import ISSUER, PARTIES, SigningKey
from tests.unit.http.conftest import TEST_SETTINGS

pytestmark = pytest.mark.integration

EXAMPLES = 50
KEY = SigningKey("kid_fuzz")
CLERK = replace(
    TEST_SETTINGS,
    auth="clerk",
    clerk_issuer=ISSUER,
    clerk_jwt_key=KEY.public_pem,
    clerk_authorized_parties=",".join(PARTIES),
    # Every fuzzed POST may create a project: the plan's limit is tested on its own.
    default_max_active_projects=100_000,
)
PROJECT = {"title": "Energy", "brief": "Grid storage"}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=60)


def _token() -> str:
    return KEY.token(sub="user_a", o={"id": "org_a", "rol": "admin"})


@pytest.fixture
def clerk_postgres(postgres_database: MigratedDatabase) -> Iterator[Deployment]:
    yield from postgres_deployment(postgres_database, CLERK)


def send(
    deployment: Deployment, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> Any:
    before = deployment.row_counts()
    response = deployment.api.client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json", response.get_data()[:300]
        assert response.get_json()["status"] == response.status_code
        assert deployment.row_counts() == before
    return response


def _new_project(deployment: Deployment) -> str:
    response = deployment.api.client.post(
        "/v1/projects", json=PROJECT, headers={"Authorization": f"Bearer {_token()}"}
    )
    assert response.status_code == 201, response.get_json()
    project_id: str = response.get_json()["id"]
    return project_id


ETAG_PIECES = st.sampled_from(
    ['"v1"', '"v2"', 'W/"v1"', '""', "*", ",", " ", '"', "W/", "v1", '"v01"', '"a,b"', "\t"]
)
IF_MATCH = st.one_of(st.lists(ETAG_PIECES, max_size=6).map("".join), HEADER_TEXT)
GUARDED = [
    ("PATCH", "", {"json": {"title": "Changed"}}),
    ("DELETE", "", {}),
    ("POST", "/pause", {}),
    ("POST", "/resume", {}),
]


@FUZZ
@given(value=IF_MATCH, route=st.sampled_from(GUARDED))
def test_any_if_match_is_a_clean_answer(
    clerk_postgres: Deployment, value: str, route: tuple[str, str, dict[str, Any]]
) -> None:
    method, suffix, kwargs = route
    path = f"/v1/projects/{_new_project(clerk_postgres)}{suffix}"
    headers = {"Authorization": f"Bearer {_token()}", "If-Match": value}
    response = send(clerk_postgres, method, path, headers, **kwargs)
    assert response.status_code in {200, 204, 400, 409, 412}, response.get_json()


@FUZZ
@given(
    key=st.one_of(
        HEADER_TEXT,
        st.text(st.characters(codec="ascii", exclude_characters="\r\n\x00"), max_size=300),
    )
)
def test_any_idempotency_key_is_a_clean_answer(clerk_postgres: Deployment, key: str) -> None:
    headers = {"Authorization": f"Bearer {_token()}", "Idempotency-Key": key}
    first = send(clerk_postgres, "POST", "/v1/projects", headers, json=PROJECT)
    assert first.status_code in {201, 422}, first.get_json()
    again = send(clerk_postgres, "POST", "/v1/projects", headers, json=PROJECT)
    assert again.status_code == first.status_code
    if first.status_code == 201:
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.get_json()["id"] == first.get_json()["id"]


def _mutated(token: str, position: int, replacement: str) -> str:
    position %= len(token) + 1
    return token[:position] + replacement + token[position + 1 :]


AUTHORIZATION = st.one_of(
    HEADER_TEXT,
    HEADER_TEXT.map(lambda text: f"Bearer {text}"),
    st.builds(
        lambda scheme, gap, position, replacement: (
            f"{scheme}{gap}" + _mutated(_token(), position, replacement)
        ),
        st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", ""]),
        st.sampled_from([" ", "  ", "\t", ""]),
        st.integers(0, 2000),
        st.sampled_from(["", "A", ".", "..", "=", " ", "\xff", "eyJ"]),
    ),
)


@FUZZ
@given(value=AUTHORIZATION, read=st.booleans())
def test_any_authorization_is_a_clean_answer(
    clerk_postgres: Deployment, value: str, read: bool
) -> None:
    headers = {"Authorization": value}
    if read:
        response = send(clerk_postgres, "GET", "/v1/me", headers)
    else:
        response = send(clerk_postgres, "POST", "/v1/projects", headers, json=PROJECT)
    assert response.status_code in {200, 201, 401, 403}, response.get_json()


CONTENT_TYPE = st.one_of(
    HEADER_TEXT,
    st.builds(
        lambda media, params: media + params,
        st.sampled_from(
            [
                *("application/json", "APPLICATION/JSON", "application/problem+json"),
                *("text/json", "application/+json", "application/json+x", "json", "", "*/*"),
            ]
        ),
        st.sampled_from(
            ["", "; charset=utf-8", "; charset=utf-16", "; charset=latin-1", ";", "; a", ";;="]
        ),
    ),
)


@FUZZ
@given(content_type=CONTENT_TYPE)
def test_any_content_type_is_a_clean_answer(clerk_postgres: Deployment, content_type: str) -> None:
    headers = {"Authorization": f"Bearer {_token()}", "Content-Type": content_type}
    response = send(
        clerk_postgres, "POST", "/v1/projects", headers, data=b'{"title": "t", "brief": "b"}'
    )
    assert response.status_code in {201, 400, 415, 422}, response.get_json()
