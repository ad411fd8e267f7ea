"""POST /webhooks/n8n/episodes: the run's token, an optional signature, one use case.

Driven with the Flask test client over memory storage; the same endpoint under a
real server, with n8n played by a real HTTP server, is in tests/integration/n8n/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
from dependency_injector import providers
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from manyfutures.adapters.n8n.callback_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    callback_signature,
)
from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from tests.support.builders import T0
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import (
    TEST_SETTINGS,
    Api,
    assert_problem,
    build_test_container,
    create_project,
    seed_tenants,
)
from tests.unit.http.test_episodes import start_generation

PATH = "/webhooks/n8n/episodes"
CONTENT = "# Grid batteries\n\n" + "word " * 400
USAGE = [{"model": "gpt-4o", "promptTokens": 1200, "completionTokens": 800, "costGbp": "0.03"}]
SECRET = "n8n-callback-secret"


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


@pytest.fixture
def run(api: Api, container: Container, generator: RecordingGenerator) -> dict[str, str]:
    """A generation started for org_a: its run id, token and episode id."""
    project = create_project(api)
    episode = api.post(f"/v1/projects/{project['id']}/episodes").get_json()
    run_id = start_generation(container, generator)
    return {"run": run_id, "token": generator.requests[-1].callback_token, "ep": episode["id"]}


def callback(
    client: FlaskClient,
    body: dict[str, Any] | str,
    token: str | None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    data = body if isinstance(body, str) else json.dumps(body)
    auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        PATH, data=data, content_type="application/json", headers={**auth, **(headers or {})}
    )


def completed(run_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "runId": run_id,
        "type": "completed",
        "title": "Grid batteries",
        "summary": "Storage is scaling",
        "content": CONTENT,
        "sources": [{"title": "IEA", "url": "https://example.org/iea"}],
        "reasoning": "Three signals agree",
        "confidence": 0.82,
        "tokenUsage": USAGE,
        **overrides,
    }


def status(api: Api, episode_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v1/episodes/{episode_id}/status").get_json()
    return body


class TestApplying:
    def test_progress_is_applied_and_never_moves_backwards(
        self, api: Api, run: dict[str, str]
    ) -> None:
        forward = {"runId": run["run"], "type": "progress", "stage": "writing", "percent": 60}
        response = callback(api.client, forward, run["token"])
        assert response.status_code == 200
        assert response.get_json() == {
            "received": True,
            "runId": run["run"],
            "type": "progress",
            "outcome": "applied",
            "applied": True,
            "detail": "progress recorded",
        }
        backwards = {**forward, "stage": "research", "percent": 90}
        stale = callback(api.client, backwards, run["token"]).get_json()
        assert (stale["outcome"], stale["applied"]) == ("out_of_order", False)
        assert (status(api, run["ep"])["stage"], status(api, run["ep"])["percent"]) == (
            "writing",
            60,
        )

    def test_completed_publishes_and_a_duplicate_says_so(
        self, api: Api, run: dict[str, str]
    ) -> None:
        first = callback(api.client, completed(run["run"]), run["token"])
        assert (first.status_code, first.get_json()["outcome"]) == (200, "published")
        detail = api.get(f"/v1/episodes/{run['ep']}").get_json()
        assert (detail["status"], detail["title"]) == ("PUBLISHED", "Grid batteries")
        assert detail["sources"] == [{"title": "IEA", "url": "https://example.org/iea"}]
        assert len(detail["blocks"]) == 1
        again = callback(api.client, completed(run["run"], title="Again"), run["token"])
        assert again.status_code == 200
        assert (again.get_json()["outcome"], again.get_json()["applied"]) == (
            "episode_final",
            False,
        )
        assert api.get(f"/v1/episodes/{run['ep']}").get_json()["title"] == "Grid batteries"

    def test_a_retryable_failure_schedules_a_retry(self, api: Api, run: dict[str, str]) -> None:
        failed = {
            "runId": run["run"],
            "type": "failed",
            "error": "Writer agent timed out",
            "retryable": True,
            "tokenUsage": USAGE,
        }
        response = callback(api.client, failed, run["token"])
        assert response.get_json()["outcome"] == "retry_scheduled"
        assert status(api, run["ep"])["errors"] == ["Writer agent timed out"]
        assert status(api, run["ep"])["status"] == "DRAFT"

    def test_usage_without_a_cost_is_priced_from_the_models_price(
        self, api: Api, run: dict[str, str], container: Container
    ) -> None:
        """A million prompt and a million completion tokens of gpt-4o: £2 + £8."""
        line = {"model": "gpt-4o", "promptTokens": 10**6, "completionTokens": 10**6}
        response = callback(api.client, completed(run["run"], tokenUsage=[line]), run["token"])
        assert response.get_json()["outcome"] == "published"
        with container.adapters.uow_factory()("org_a") as uow:
            daily = uow.token_usage.daily(T0.date())
        assert daily is not None and daily.total_cost_gbp == Decimal("10.00")

    def test_a_failure_that_is_not_retryable_fails_the_episode(
        self, api: Api, run: dict[str, str]
    ) -> None:
        failed = {"runId": run["run"], "type": "failed", "error": "over budget", "retryable": False}
        assert callback(api.client, failed, run["token"]).get_json()["outcome"] == "failed"
        assert status(api, run["ep"])["status"] == "FAILED"


class TestRefusals:
    def test_no_token_a_wrong_token_or_an_unknown_run_is_401_and_changes_nothing(
        self, api: Api, run: dict[str, str]
    ) -> None:
        for body, token in (
            (completed(run["run"]), None),
            (completed(run["run"]), ""),
            (completed(run["run"]), "not-the-token"),
            (completed("run_unknown"), run["token"]),
        ):
            response = callback(api.client, body, token)
            assert_problem(response, 401, "unauthenticated")
            assert response.headers["WWW-Authenticate"] == "Bearer"
        assert status(api, run["ep"])["status"] == "GENERATING"

    def test_a_basic_credential_is_not_a_bearer_token(self, api: Api, run: dict[str, str]) -> None:
        response = api.client.post(
            PATH, json=completed(run["run"]), headers={"Authorization": f"Basic {run['token']}"}
        )
        assert_problem(response, 401, "unauthenticated")

    def test_malformed_json_is_400(self, api: Api, run: dict[str, str]) -> None:
        assert_problem(callback(api.client, "{not json", run["token"]), 400, "malformed-json")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"type": "finished"}, "type"),
            ({"runId": "../etc"}, "runId"),
            ({"title": ""}, "title"),
            ({"stage": "writing"}, "stage"),
            ({"confidence": 1.5}, "confidence"),
            ({"sources": [{"title": "x", "url": "ftp://example.org"}]}, "sources.0.url"),
            ({"tokenUsage": [{**USAGE[0], "costGbp": 0.03}]}, "tokenUsage.0.costGbp"),
            ({"tokenUsage": [{**USAGE[0], "promptTokens": -1}]}, "tokenUsage.0.promptTokens"),
            (
                {"tokenUsage": [{**USAGE[0], "completionTokens": 10**9 + 1}]},
                "tokenUsage.0.completionTokens",
            ),
            ({"surprise": 1}, "surprise"),
        ],
    )
    def test_a_body_the_contract_does_not_allow_is_422_with_the_field(
        self, api: Api, run: dict[str, str], change: dict[str, Any], field: str
    ) -> None:
        body = callback(api.client, completed(run["run"], **change), run["token"])
        problem = assert_problem(body, 422, "validation-error")
        assert field in problem["errors"], problem["errors"]
        assert status(api, run["ep"])["status"] == "GENERATING"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"type": "progress", "stage": "drafting", "percent": 10}, "stage"),
            ({"type": "progress", "stage": "writing", "percent": 101}, "percent"),
            ({"type": "progress", "stage": "writing", "percent": "30"}, "percent"),
            ({"type": "progress", "stage": "writing"}, "percent"),
            ({"type": "completed", "summary": "s", "content": "c"}, "title"),
            ({"type": "failed", "error": "e"}, "retryable"),
            ({"type": "failed", "error": "e", "retryable": "yes"}, "retryable"),
            (
                {"type": "progress", "stage": "writing", "percent": 5, "tokenUsage": []},
                "tokenUsage",
            ),
        ],
    )
    def test_each_type_requires_its_own_fields(
        self, api: Api, run: dict[str, str], body: dict[str, Any], field: str
    ) -> None:
        response = callback(api.client, {"runId": run["run"], **body}, run["token"])
        assert field in assert_problem(response, 422, "validation-error")["errors"]


def test_a_body_over_the_size_limit_is_413() -> None:
    container = build_test_container(replace(TEST_SETTINGS, max_body_bytes=1024))
    client = create_app(container).test_client()
    response = callback(client, completed("run_x", content="x" * 2048), "token")
    assert_problem(response, 413, "payload-too-large")
    container.unwire()


class TestSignatures:
    """With N8N_CALLBACK_SECRET set, the body must also be signed within five minutes."""

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(T0)

    @pytest.fixture
    def container(self, clock: ManualClock) -> Iterator[Container]:
        container = build_test_container(replace(TEST_SETTINGS, n8n_callback_secret=SECRET), clock)
        seed_tenants(container)
        yield container
        container.unwire()

    def signed(self, body: dict[str, Any], at: int, secret: str = SECRET) -> dict[str, str]:
        raw = json.dumps(body).encode()
        return {
            TIMESTAMP_HEADER: str(at),
            SIGNATURE_HEADER: callback_signature(secret, str(at), raw),
        }

    def test_a_fresh_signature_is_accepted(self, api: Api, run: dict[str, str]) -> None:
        body = completed(run["run"])
        now = int(T0.timestamp())
        response = callback(api.client, body, run["token"], self.signed(body, now - 299))
        assert response.get_json()["outcome"] == "published"

    @pytest.mark.parametrize("problem", ["missing", "stale", "future", "wrong secret", "tampered"])
    def test_a_bad_signature_is_401_and_changes_nothing(
        self, api: Api, run: dict[str, str], problem: str
    ) -> None:
        body = completed(run["run"])
        now = int(T0.timestamp())
        headers = {
            "missing": {},
            "stale": self.signed(body, now - 301),
            "future": self.signed(body, now + 301),
            "wrong secret": self.signed(body, now, secret="guess"),
            "tampered": self.signed(completed(run["run"], title="Forged"), now),
        }[problem]
        response = callback(api.client, body, run["token"], headers)
        assert_problem(response, 401, "unauthenticated")
        assert status(api, run["ep"])["status"] == "GENERATING"

    def test_the_signature_is_checked_before_anything_is_parsed(
        self, api: Api, run: dict[str, str]
    ) -> None:
        assert_problem(callback(api.client, "{not json", run["token"]), 401, "unauthenticated")


# --- The document and the server agree (ADR 0008) ---------------------------------------

NUMBER_LIKE = st.one_of(
    st.integers(-5, 105),
    st.floats(-1, 2, allow_nan=False),
    st.sampled_from([0.0, 1.0, 100.0, 1e300, "30", "0.5", True, None]),
)
COST_LIKE = st.one_of(
    st.decimals(min_value=-1, max_value=2_000_000, places=4).map(str),
    st.sampled_from(["0.03\n", " 0.03", "1e-3", ".5", "5.", "0.00000000001", 0.03, 3]),
    st.text(max_size=6),
)
CALLBACK_AGREEMENT = [
    ("runId", ("runId",), st.one_of(st.from_regex(r"run_[0-9A-Z]{1,70}"), st.text(max_size=8))),
    ("percent", ("percent",), NUMBER_LIKE),
    ("confidence", ("confidence",), NUMBER_LIKE),
    ("retryable", ("retryable",), st.one_of(st.booleans(), NUMBER_LIKE, st.text(max_size=5))),
    ("tokenUsage.0.costGbp", ("tokenUsage", "costGbp"), COST_LIKE),
]


def _field_body(name: str, value: Any) -> dict[str, Any]:
    if name == "percent":
        return {"runId": "run_x", "type": "progress", "stage": "writing", "percent": value}
    if name == "retryable":
        return {"runId": "run_x", "type": "failed", "error": "e", "retryable": value}
    if name == "runId":
        return completed(value)
    if name == "confidence":
        return completed("run_x", confidence=value)
    return completed("run_x", tokenUsage=[{**USAGE[0], "costGbp": value}])


@pytest.mark.parametrize(
    ("field", "path", "values"), CALLBACK_AGREEMENT, ids=[c[0] for c in CALLBACK_AGREEMENT]
)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_document_and_the_server_agree_on_callback_fields(
    api: Api, field: str, path: tuple[str, ...], values: Any, data: st.DataObject
) -> None:
    value = data.draw(values)
    document = api.client.get("/openapi.json").get_json()
    schema = document["components"]["schemas"]["GenerationCallback"]["properties"][path[0]]
    if len(path) > 1:
        item = schema["items"]["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][item]["properties"][path[1]]
    documented = jsonschema_rs.validator_for({**schema, "components": document["components"]})
    response = callback(api.client, _field_body(field, value), "some-token")
    errors = response.get_json().get("errors", {}) if response.status_code == 422 else {}
    assert response.status_code in (401, 422), response.get_data(as_text=True)
    assert documented.is_valid(value) == (field not in errors), (value, errors)
