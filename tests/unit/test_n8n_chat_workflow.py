"""integrations/n8n/assistant-chat.json: its shape, and its Code nodes run for real.

The workflow the n8n assistant adapter calls: a Header Auth webhook answered by a
"Respond to Webhook" node (the reply job waits for it), one AI Agent with a chat model,
a 502 from every failure, no ``$env``; its JavaScript runs under Node.js (the harness
of test_n8n_workflow.py), and the answers it builds are ones the adapter accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from manyfutures.adapters.n8n.assistant import parse_answer
from manyfutures.core.conversations.model import Proposal
from tests.unit.test_n8n_workflow import Flow, node_binary  # noqa: F401 (a fixture)

WORKFLOW_FILE = Path(__file__).parents[2] / "integrations" / "n8n" / "assistant-chat.json"
WORKFLOW: dict[str, Any] = json.loads(WORKFLOW_FILE.read_text())
NODES = {node["name"]: node for node in WORKFLOW["nodes"]}
RESPOND = "n8n-nodes-base.respondToWebhook"
CHAT = {
    "kind": "chat",
    "organizationId": "org_01",
    "sessionId": "chat_01",
    "messageId": "msg_02",
    "attempt": 1,
    "messages": [{"role": "user", "content": "Is sodium-ion real?"}],
    "context": "Sodium\n\nCheaper cells",
    "maxCostGbp": "0.10",
}


def targets(name: str, output: int | None = None) -> set[str]:
    outputs = WORKFLOW["connections"].get(name, {}).get("main", [])
    chosen = outputs if output is None else outputs[output : output + 1]
    return {link["node"] for group in chosen for link in group}


def reachable(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for following in targets(todo.pop()) - seen:
            seen.add(following)
            todo.append(following)
    return seen


class TestShape:
    def test_the_webhook_takes_post_with_header_auth_and_answers_from_a_respond_node(
        self,
    ) -> None:
        webhook = NODES["Chat request"]
        assert webhook["type"] == "n8n-nodes-base.webhook"
        assert webhook["parameters"]["httpMethod"] == "POST"
        assert webhook["parameters"]["authentication"] == "headerAuth"
        assert webhook["parameters"]["responseMode"] == "responseNode"
        assert webhook["parameters"]["path"] == "manyfutures-assistant-chat"

    def test_the_agent_has_a_chat_model_and_every_node_is_reached(self) -> None:
        model_links = WORKFLOW["connections"]["Assistant model"]["ai_languageModel"]
        assert [link["node"] for group in model_links for link in group] == ["Assistant agent"]
        expected = set(NODES) - {"Assistant model", "Read me"}
        assert reachable("Chat request") == expected

    def test_every_failure_answers_502_and_success_answers_the_reply(self) -> None:
        for step in ("Prepare prompt", "Assistant agent", "Build answer"):
            assert NODES[step]["onError"] == "continueErrorOutput"
            assert targets(step, 1) == {"Send failure"}
        assert NODES["Send failure"]["parameters"]["options"]["responseCode"] == 502
        assert targets("Build answer", 0) == {"Send reply"}
        assert {n["name"] for n in WORKFLOW["nodes"] if n["type"] == RESPOND} == {
            "Send reply",
            "Send failure",
        }

    def test_nothing_comes_from_the_environment(self) -> None:
        assert "$env" not in WORKFLOW_FILE.read_text()


def flow(node: str, job: dict[str, Any]) -> Flow:
    running = Flow(node, job, NODES)
    running.outputs["Chat request"] = {"body": job}
    return running


def test_a_chat_answer_is_one_the_adapter_accepts(node_binary: str) -> None:  # noqa: F811
    running = flow(node_binary, CHAT)
    prepared = running.run("Prepare prompt", {})
    assert "Sodium\n\nCheaper cells" in prepared["prompt"]
    assert "Reader: Is sodium-ion real?" in prepared["prompt"]
    running.agent("Assistant agent", "Yes: buses run on it.")
    answer = parse_answer(running.run("Build answer"))
    assert answer.content == "Yes: buses run on it."
    assert answer.proposal is None
    (usage,) = answer.usage
    assert usage.model == "gpt-4o-mini" and usage.cost_gbp is not None and usage.cost_gbp > 0


def test_an_onboarding_answer_carries_the_proposal_out_of_the_reply(
    node_binary: str,  # noqa: F811
) -> None:
    running = flow(node_binary, {**CHAT, "kind": "onboarding", "context": ""})
    running.run("Prepare prompt", {})
    proposal = {"title": "Ports", "brief": "Shipping", "cadenceMode": "custom", "days": [1, 4]}
    running.agent("Assistant agent", f"Here is my idea.\nPROPOSAL: {json.dumps(proposal)}")
    answer = parse_answer(running.run("Build answer"))
    assert answer.content == "Here is my idea."
    assert answer.proposal == Proposal("Ports", "Shipping", "custom", (1, 4))


def test_a_reply_that_could_cost_more_than_max_cost_is_refused(
    node_binary: str,  # noqa: F811
) -> None:
    running = flow(node_binary, {**CHAT, "maxCostGbp": "0.0001"})
    with pytest.raises(AssertionError, match="more than maxCostGbp"):
        running.run("Prepare prompt", {})
