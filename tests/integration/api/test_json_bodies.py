"""Bodies every layer must carry alike, in memory mode and on PostgreSQL.

Lone surrogates cannot be encoded as UTF-8, so PostgreSQL cannot store them: they are
a 422 naming the field in both modes, and a refused body stores nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from svix.webhooks import Webhook

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
