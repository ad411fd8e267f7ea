"""integrations/n8n/episode-generation.json: its shape, and its Code nodes run for real.

No n8n here (``make n8n-e2e`` is separate), so this checks what can be checked without
one: the file is the workflow the README describes (a Header Auth webhook answering
202 at once, three AI Agent steps each with a chat model, a failure path from every
step, every callback POSTed to the job's callback url with its token and a signature,
no ``$env``), and its JavaScript — the cost checks and the callback bodies — run under
Node.js with a minimal ``$input`` / ``$()``, whose bodies the API's own schema accepts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from manyfutures.entrypoints.http.schemas import GenerationCallbackSchema, instance
from tests.support.ci import on_ci

WORKFLOW_FILE = Path(__file__).parents[2] / "integrations" / "n8n" / "episode-generation.json"
WORKFLOW: dict[str, Any] = json.loads(WORKFLOW_FILE.read_text())
NODES = {node["name"]: node for node in WORKFLOW["nodes"]}
JOB = "$('Episode job').first().json.body"
AGENT = "@n8n/n8n-nodes-langchain.agent"
CHAT_MODEL = "@n8n/n8n-nodes-langchain.lmChatOpenAi"
HTTP_REQUEST = "n8n-nodes-base.httpRequest"


def of_type(node_type: str) -> list[dict[str, Any]]:
    return [node for node in WORKFLOW["nodes"] if node["type"] == node_type]


def targets(name: str, kind: str = "main", output: int | None = None) -> set[str]:
    outputs = WORKFLOW["connections"].get(name, {}).get(kind, [])
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
    def test_names_and_ids_are_unique_and_every_connection_names_a_node(self) -> None:
        assert len(NODES) == len(WORKFLOW["nodes"])
        assert len({node["id"] for node in WORKFLOW["nodes"]}) == len(NODES)
        for source, kinds in WORKFLOW["connections"].items():
            assert source in NODES
            for groups in kinds.values():
                assert all(link["node"] in NODES for group in groups for link in group)

    def test_the_webhook_takes_post_with_header_auth_and_answers_202_at_once(self) -> None:
        (webhook,) = of_type("n8n-nodes-base.webhook")
        assert webhook["typeVersion"] == 2.1
        parameters = webhook["parameters"]
        assert (parameters["httpMethod"], parameters["authentication"]) == ("POST", "headerAuth")
        assert parameters["responseMode"] == "onReceived"
        assert parameters["options"]["responseCode"]["values"]["customCode"] == 202
        assert "httpHeaderAuth" in webhook["credentials"]

    def test_research_writing_and_review_are_agents_each_with_a_chat_model(self) -> None:
        agents = of_type(AGENT)
        assert [a["name"] for a in agents] == ["Research agent", "Writer agent", "Review agent"]
        for model in of_type(CHAT_MODEL):
            assert "openAiApi" in model["credentials"]
        fed = {
            agent: {
                m["name"]
                for m in of_type(CHAT_MODEL)
                if agent in targets(m["name"], "ai_languageModel")
            }
            for agent in NODES
            if NODES[agent]["type"] == AGENT
        }
        assert all(len(models) == 1 for models in fed.values()), fed

    def test_every_node_but_the_chat_models_and_the_note_is_reached_from_the_webhook(
        self,
    ) -> None:
        satellites = {
            n["name"] for n in [*of_type(CHAT_MODEL), *of_type("n8n-nodes-base.stickyNote")]
        }
        assert reachable("Episode job") == set(NODES) - satellites

    def test_every_callback_posts_to_the_jobs_url_with_its_token_and_a_signature(self) -> None:
        reports = of_type(HTTP_REQUEST)
        assert len(reports) == 5
        for report in reports:
            parameters = report["parameters"]
            assert parameters["method"] == "POST"
            assert parameters["url"] == "={{ " + JOB + ".callback.url }}"
            headers = {h["name"]: h["value"] for h in parameters["headerParameters"]["parameters"]}
            assert headers["Authorization"] == "=Bearer {{ " + JOB + ".callback.token }}"
            assert headers["X-Manyfutures-Signature"] == "={{ $json.signature }}"
            assert headers["X-Manyfutures-Timestamp"] == "={{ $json.timestamp }}"
            assert (parameters["contentType"], parameters["rawContentType"]) == (
                "raw",
                "application/json",
            )
            (signer,) = [name for name in NODES if report["name"] in targets(name)]
            assert NODES[signer]["type"] == "n8n-nodes-base.crypto"
            assert NODES[signer]["parameters"]["value"] == "={{ $json.signingInput }}"
            assert "crypto" in NODES[signer]["credentials"]

    def test_every_step_and_the_completion_have_a_path_to_the_failed_callback(self) -> None:
        for agent in ("Research agent", "Writer agent", "Review agent"):
            assert NODES[agent]["onError"] == "continueErrorOutput"
            assert targets(agent, output=1) == {"Build failed callback"}
        assert targets("Report completed", output=1) == {"Build failed callback"}
        for gate in ("Research affordable?", "Writing affordable?", "Review affordable?"):
            assert targets(gate, output=0) == {"Build failed callback"}
        assert "Report failed" in reachable("Build failed callback")

    def test_secrets_and_urls_come_from_the_job_and_credentials_never_the_environment(
        self,
    ) -> None:
        text = WORKFLOW_FILE.read_text()
        assert "$env" not in text
        assert "process.env" not in text


# --- The Code nodes, run under Node.js ------------------------------------------------

HARNESS = """
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const item = (json) => ({ json });
const $input = { first: () => item(input.input[0]), all: () => input.input.map(item) };
const $ = (name) => ({
  isExecuted: name in input.nodes,
  first: () => {
    if (!(name in input.nodes)) throw new Error(`${name} has not run`);
    return item(input.nodes[name]);
  },
});
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const run = new AsyncFunction('$input', '$', input.code);
run($input, $).then(
  (items) => process.stdout.write(JSON.stringify(items.map((i) => i.json))),
  (error) => { process.stderr.write(String(error)); process.exit(1); },
);
"""
JOB_BODY = {
    "runId": "run_01",
    "episodeId": "ep_01",
    "projectId": "proj_01",
    "organizationId": "org_01",
    "attempt": 1,
    "project": {
        "title": "Grid storage",
        "brief": "Batteries, policy and prices",
        "cadence": {"mode": "weekly", "days": [1]},
        "timezone": "Europe/London",
    },
    "planningNotes": [{"id": "note_01", "note": "More on regulation please"}],
    "memories": [{"content": "Prefers numbers", "type": "preference", "importance": 0.8}],
    "recentEpisodes": [],
    "recentFeedback": [
        {
            "episodeId": "ep_00",
            "rating": 2,
            "comment": "Too much jargon",
            "submittedAt": "2026-01-05T09:00:00+00:00",
        }
    ],
    "maxCostGbp": "1.50",
    "callback": {"url": "https://api.example.com/webhooks/n8n/episodes", "token": "tok"},
}
RESEARCH = "Notes: three developments. " * 40
DRAFT = json.dumps(
    {
        "title": "Storage scales",
        "summary": "Batteries got cheaper. Policy follows.",
        "content": "# Storage scales\n\n" + "word " * 700,
        "sources": [
            {"title": "IEA", "url": "https://example.org/iea"},
            {"title": "no url", "url": "not a url"},
        ],
    }
)
REVIEW = (
    'Here you go: {"content": "# Storage scales\\n\\nChecked.", "reasoning": "ok", '
    '"confidence": 0.8}'
)


@pytest.fixture(scope="module")
def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        if on_ci():
            pytest.fail("Node.js is needed to run the workflow's Code nodes")
        pytest.skip("Node.js is not installed")
    return found


class Flow:
    """Runs Code nodes in the workflow's order, keeping each one's output by name."""

    def __init__(
        self, node: str, job: dict[str, Any], nodes: dict[str, dict[str, Any]] = NODES
    ) -> None:
        self.node = node
        self.nodes = nodes
        self.outputs: dict[str, Any] = {"Episode job": {"body": job}}

    def run(self, name: str, given: dict[str, Any] | None = None) -> dict[str, Any]:
        code = self.nodes[name]["parameters"]["jsCode"]
        previous = given if given is not None else self.last
        stdin = json.dumps({"code": code, "input": [previous], "nodes": self.outputs})
        done = subprocess.run(
            [self.node, "-e", HARNESS], input=stdin, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        (output,) = json.loads(done.stdout)
        self.outputs[name] = output
        self.last: dict[str, Any] = output
        return output

    def agent(self, name: str, text: str) -> None:
        self.outputs[name] = self.last = {"output": text}


def sent(output: dict[str, Any]) -> dict[str, Any]:
    """The callback body as the API reads it; its schema refuses anything off contract."""
    assert output["signingInput"] == f"{output['timestamp']}.{output['body']}"
    body: dict[str, Any] = json.loads(output["body"])
    instance(GenerationCallbackSchema).load(body)
    return body


def through_writing(flow: Flow) -> None:
    flow.run("Start run", {})
    flow.run("Plan research")
    flow.agent("Research agent", RESEARCH)
    flow.run("Account research")
    flow.run("Plan writing")
    flow.agent("Writer agent", DRAFT)
    flow.run("Account writing")


def test_a_run_reports_progress_then_the_episode_with_what_each_step_spent(
    node_binary: str,
) -> None:
    flow = Flow(node_binary, JOB_BODY)
    flow.run("Start run", {})
    research = flow.run("Plan research")
    assert research["overBudget"] is False
    assert sent(research) == {
        "runId": "run_01",
        "type": "progress",
        "stage": "research",
        "percent": 10,
    }
    flow.agent("Research agent", RESEARCH)
    flow.run("Account research")
    assert sent(flow.run("Plan writing"))["stage"] == "writing"
    flow.agent("Writer agent", DRAFT)
    flow.run("Account writing")
    assert sent(flow.run("Plan review"))["stage"] == "review"
    flow.agent("Review agent", REVIEW)
    flow.run("Account review")
    body = sent(flow.run("Build completed callback"))
    assert (body["type"], body["title"], body["confidence"]) == ("completed", "Storage scales", 0.8)
    assert body["content"] == "# Storage scales\n\nChecked."
    assert body["sources"] == [{"title": "IEA", "url": "https://example.org/iea"}]
    models = [line["model"] for line in body["tokenUsage"]]
    assert models == ["gpt-4o-mini", "gpt-4o", "gpt-4o-mini"]
    writing = body["tokenUsage"][1]
    assert writing["completionTokens"] == -(-len(DRAFT) // 4)
    # pounds per million tokens, rounded up to a millionth of a pound
    cost = Decimal(writing["promptTokens"] * 2 + writing["completionTokens"] * 8) / 1_000_000
    assert Decimal(writing["costGbp"]) == cost.quantize(Decimal("0.000001"))


def test_token_counts_the_agent_reports_are_used_as_they_are(node_binary: str) -> None:
    flow = Flow(node_binary, JOB_BODY)
    flow.run("Start run", {})
    flow.run("Plan research")
    reported = {"output": RESEARCH, "tokenUsage": {"promptTokens": 1000, "completionTokens": 500}}
    flow.outputs["Research agent"] = reported
    state = flow.run("Account research", reported)
    assert state["usage"] == [
        {
            "model": "gpt-4o-mini",
            "promptTokens": 1000,
            "completionTokens": 500,
            "costGbp": "0.000360",
        }
    ]


def test_a_step_that_could_pass_max_cost_stops_the_run_not_retryable(node_binary: str) -> None:
    """The writer (gpt-4o, up to 4 000 tokens out, about £0.035) does not fit in £0.02."""
    flow = Flow(node_binary, {**JOB_BODY, "maxCostGbp": "0.02"})
    flow.run("Start run", {})
    assert flow.run("Plan research")["overBudget"] is False
    flow.agent("Research agent", RESEARCH)
    flow.run("Account research")
    writing = flow.run("Plan writing")
    assert writing["overBudget"] is True
    failed = sent(flow.run("Build failed callback", writing))
    assert (failed["type"], failed["retryable"]) == ("failed", False)
    assert failed["error"].startswith("stopped before the writing step")
    assert [line["model"] for line in failed["tokenUsage"]] == ["gpt-4o-mini"]  # so far


def test_a_budget_too_small_for_the_first_step_stops_before_spending(node_binary: str) -> None:
    flow = Flow(node_binary, {**JOB_BODY, "maxCostGbp": "0.0001"})
    flow.run("Start run", {})
    plan = flow.run("Plan research")
    assert plan["overBudget"] is True
    failed = sent(flow.run("Build failed callback", plan))
    assert (failed["retryable"], failed["tokenUsage"]) == (False, [])


def test_a_failed_step_is_retryable_and_reports_the_usage_so_far(node_binary: str) -> None:
    flow = Flow(node_binary, JOB_BODY)
    through_writing(flow)
    failed = sent(flow.run("Build failed callback", {"error": "Writer agent timed out"}))
    assert (failed["retryable"], failed["error"]) == (
        True,
        "generation failed: Writer agent timed out",
    )
    assert [line["model"] for line in failed["tokenUsage"]] == ["gpt-4o-mini", "gpt-4o"]


def test_a_job_without_a_callback_is_refused_at_the_start(node_binary: str) -> None:
    job = {k: v for k, v in JOB_BODY.items() if k != "callback"}
    flow = Flow(node_binary, job)
    with pytest.raises(AssertionError, match="the job has no callback"):
        flow.run("Start run", {})
