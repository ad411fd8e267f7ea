"""Chat replies in production's shape: the API answers 202, a real ``manyfutures worker``
process runs the reply job from the ``assistant`` queue, and it asks a real HTTP server
standing in for n8n's chat webhook. A reply that fails is marked failed and, retried,
is produced by the next job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rq import Worker

from manyfutures.entrypoints.http.app import create_app
from tests.integration.pipeline.conftest import Pipeline, eventually
from tests.support.assistant_standin import ANSWER, AssistantStandIn

pytestmark = pytest.mark.integration

HEADERS = {"X-Dev-User": "user_alice", "X-Dev-Org": "org_a", "X-Dev-Role": "admin"}
KEY = "assistant-header-auth-value"


@pytest.fixture
def standin() -> Iterator[AssistantStandIn]:
    with AssistantStandIn() as server:
        yield server


def settings(standin: AssistantStandIn) -> dict[str, str]:
    return {
        "MANYFUTURES_ASSISTANT": "n8n",
        "N8N_CHAT_WEBHOOK_URL": standin.url,
        "N8N_WEBHOOK_HEADER_VALUE": KEY,
        "MANYFUTURES_ASSISTANT_TIMEOUT_SECONDS": "2",
        "MANYFUTURES_ASSISTANT_REPLY_DEADLINE_SECONDS": "30",
    }


def test_a_chat_reply_is_produced_by_the_worker_and_a_failed_one_is_retried(
    pipeline: Pipeline, standin: AssistantStandIn
) -> None:
    container = pipeline.container(**settings(standin))
    pipeline.member(container, "org_a", "user_alice")
    client = create_app(container).test_client()

    def call(method: str, path: str, json: Any = None) -> Any:
        response = client.open(path, method=method, headers=HEADERS, json=json)
        assert response.status_code < 300, response.get_data(as_text=True)
        return response

    call("PATCH", "/v1/organization", {"enabledFeatures": ["chat"]})
    project = call("POST", "/v1/projects", {"title": "Batteries", "brief": "Grid storage"})
    session = call("POST", "/v1/chat/sessions", {"projectId": project.get_json()["id"]})
    path = f"/v1/chat/sessions/{session.get_json()['id']}"

    def last_reply() -> dict[str, Any]:
        reply: dict[str, Any] = call("GET", path).get_json()["messages"][-1]
        return reply

    connection = pipeline.redis()
    pipeline.start("worker", **settings(standin))
    eventually(lambda: len(Worker.all(connection=connection)) == 1, 30, pipeline.logs_text)
    (worker,) = Worker.all(connection=connection)
    assert "assistant" in worker.queue_names()

    # The API answers at once, with the reply pending, whatever the assistant does next.
    standin.status = 503
    posted = call("POST", f"{path}/messages", {"content": "Is sodium-ion real?"})
    assert posted.status_code == 202
    reply_id = posted.get_json()["reply"]["id"]
    assert posted.get_json()["reply"]["status"] == "pending"
    eventually(lambda: last_reply()["status"] != "pending", 30, pipeline.logs_text)
    failed = last_reply()
    assert (failed["status"], failed["error"]) == ("failed", "the assistant answered 503")

    standin.status = 200
    retried = call("POST", f"{path}/messages/{reply_id}/retry")
    assert retried.status_code == 202 and retried.get_json()["attempt"] == 2
    eventually(lambda: last_reply()["status"] == "completed", 30, pipeline.logs_text)
    assert last_reply()["content"] == ANSWER["reply"]

    first, second = standin.received
    assert first.headers["X-Webhook-Key"] == KEY
    assert second.body["attempt"] == 2
    assert second.body["context"] == "Batteries\n\nGrid storage"
    assert second.body["messages"] == [{"role": "user", "content": "Is sodium-ion real?"}]
    usage = call("GET", "/v1/usage/today").get_json()
    assert usage["reservedGbp"] == "0.00"
