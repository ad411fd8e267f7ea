"""Bodies every layer must carry alike, in memory mode and on PostgreSQL.

Lone surrogates cannot be encoded as UTF-8, so PostgreSQL cannot store them: they are
a 422 naming the field in both modes. Nesting is bounded once, in the JSON loader, well
below what memory mode's deep copy and the JSON encoder can recurse through: exactly
at the limit a body is stored, one level deeper it is a 400. Either way a refused body
stores nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from svix.webhooks import Webhook

from manyfutures.entrypoints.http.json_loader import MAX_JSON_DEPTH
from tests.integration.api.conftest import Deployment
from tests.support.clerk_payloads import event, user_data
from tests.unit.http.conftest import WEBHOOK_SECRET, assert_problem, create_project

pytestmark = pytest.mark.integration

LONE_SURROGATES = ["a\ud800b", "\udfff", "x\udbff"]


def _post_raw(deployment: Deployment, path: str, body: Any, method: str = "POST") -> Any:
    # json.dumps escapes a lone surrogate as \ud800: valid JSON text, as a client sends it.
    return deployment.api.request(
        method, path, data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize("surrogate", LONE_SURROGATES)
def test_a_lone_surrogate_anywhere_is_422_naming_the_field(
    deployment: Deployment, surrogate: str
) -> None:
    project = create_project(deployment.api)
    path = f"/v1/projects/{project['id']}"
    before = deployment.row_counts()
    cases: list[tuple[str, str, Any, str]] = [
        ("POST", "/v1/projects", {"title": surrogate, "brief": "b"}, "title"),
        ("POST", "/v1/projects", {"title": "t", "brief": f"long {surrogate}"}, "brief"),
        ("PATCH", path, {"title": surrogate}, "title"),
        ("POST", f"{path}/planning-notes", {"note": surrogate}, "note"),
        ("POST", "/v1/events", {"eventType": f"ab{surrogate}", "eventData": {}}, "eventType"),
        (
            "POST",
            "/v1/events",
            {"eventType": "opened", "eventData": {"k": [{"deep": ["x", surrogate]}]}},
            "eventData.k.0.deep.1",
        ),
        (
            "POST",
            "/v1/events",
            {"eventType": "opened", "eventData": {surrogate: 1}},
            "eventData." + surrogate.encode("utf-8", "backslashreplace").decode(),
        ),
        ("PATCH", "/v1/organization", {"enabledFeatures": [surrogate]}, "enabledFeatures.0"),
    ]
    for method, target, body, field in cases:
        response = _post_raw(deployment, target, body, method)
        problem = assert_problem(response, 422, "validation-error")
        assert list(problem["errors"]) == [field], (target, body)
        assert "surrogate" in problem["errors"][field][0]
    assert deployment.row_counts() == before
    assert deployment.api.get(path).get_json()["title"] == project["title"]


def test_a_surrogate_in_a_clerk_webhook_is_422_and_changes_nothing(
    deployment: Deployment,
) -> None:
    body = json.dumps(event("user.created", user_data(id="user_eve", first_name="E\ud800ve")))
    signer = Webhook(WEBHOOK_SECRET)
    now = datetime.now(UTC)
    headers = {
        "svix-id": "msg_surrogate",
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": signer.sign("msg_surrogate", now, body),
    }
    before = deployment.row_counts()
    response = deployment.api.client.post(
        "/webhooks/clerk", data=body, content_type="application/json", headers=headers
    )
    problem = assert_problem(response, 422, "validation-error")
    assert list(problem["errors"]) == ["data.first_name"]
    assert deployment.row_counts() == before


def test_utf8_encoded_surrogates_are_not_utf8(deployment: Deployment) -> None:
    """CESU-style bytes ED A0 80 decode to U+D800 only when surrogates are let through."""
    before = deployment.row_counts()
    raw = b'{"title": "a\xed\xa0\x80b", "brief": "b"}'
    response = deployment.api.post("/v1/projects", data=raw, content_type="application/json")
    assert "UTF-8" in assert_problem(response, 400, "malformed-json")["detail"]
    assert deployment.row_counts() == before


def _nested(depth: int) -> str:
    """JSON text of ``depth`` containers, arrays and objects alternating, around ``1``.

    Written out rather than dumped: json.dumps itself recurses once per level.
    """
    opening = "".join('{"k": ' if level % 2 else "[" for level in reversed(range(depth)))
    closing = "".join("}" if level % 2 else "]" for level in range(depth))
    return f"{opening}1{closing}"


def test_a_body_nested_exactly_to_the_limit_is_stored(deployment: Deployment) -> None:
    # The body object is one level, eventData a second, its member the rest.
    raw = f'{{"eventType": "deep_one", "eventData": {{"inner": {_nested(MAX_JSON_DEPTH - 2)}}}}}'
    before = deployment.row_counts()
    response = deployment.api.post("/v1/events", data=raw, content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["eventData"] == json.loads(raw)["eventData"]
    # The row counts see the write (so "unchanged" elsewhere in this suite means something).
    assert sum(deployment.row_counts().values()) > sum(before.values())


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 600, 970, 5000])
def test_a_body_nested_past_the_limit_is_400_and_stores_nothing(
    deployment: Deployment, depth: int
) -> None:
    before = deployment.row_counts()
    event = f'{{"eventType": "deep_one", "eventData": {{"inner": {_nested(depth - 2)}}}}}'
    response = deployment.api.post("/v1/events", data=event, content_type="application/json")
    problem = assert_problem(response, 400, "malformed-json")
    assert f"more than {MAX_JSON_DEPTH} levels" in problem["detail"]
    project = f'{{"title": "t", "brief": "b", "cadence": {_nested(depth - 1)}}}'
    response = deployment.api.post("/v1/projects", data=project, content_type="application/json")
    assert_problem(response, 400, "malformed-json")
    assert deployment.row_counts() == before
