"""The workflow ``make n8n-e2e`` imports: the shipped one with its agents played by Code nodes.

The end-to-end run proves what it proves only if the copy differs from the shipped
workflow in its AI steps alone, and if what the stand-ins answer is what the shipped
nodes after them can read. Both are checked here, without n8n: the copy's shape
against the shipped file, and its Code nodes run under Node.js in the workflow's order.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.unit.test_n8n_workflow import AGENT, JOB_BODY, WORKFLOW, Flow, node_binary, sent

__all__ = ["node_binary"]  # the fixture, used by name below

GENERATOR = Path(__file__).parents[2] / "integrations" / "n8n" / "e2e" / "offline_workflow.py"
AGENTS = ("Research agent", "Writer agent", "Review agent")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("offline_workflow", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


offline = _load()
COPY: dict[str, Any] = offline.offline_copy(WORKFLOW)
COPY_NODES = {node["name"]: node for node in COPY["nodes"]}
SHIPPED_NODES = {node["name"]: node for node in WORKFLOW["nodes"]}


def test_the_copy_has_no_ai_node_and_needs_no_model_credential() -> None:
    assert not [n for n in COPY["nodes"] if n["type"].startswith("@n8n/n8n-nodes-langchain.")]
    kinds = {kind for node in COPY["nodes"] for kind in node.get("credentials", {})}
    assert kinds == {"httpHeaderAuth", "crypto"}
    assert {kind for outputs in COPY["connections"].values() for kind in outputs} == {"main"}


def test_every_other_node_and_every_step_to_step_link_is_the_shipped_one() -> None:
    kept = {
        name: node
        for name, node in SHIPPED_NODES.items()
        if not node["type"].startswith("@n8n/n8n-nodes-langchain.")
    }
    assert {name: COPY_NODES[name] for name in kept} == kept
    assert set(COPY_NODES) == set(kept) | set(AGENTS)
    shipped_links = {
        source: outputs["main"]
        for source, outputs in WORKFLOW["connections"].items()
        if "main" in outputs
    }
    assert {source: outputs["main"] for source, outputs in COPY["connections"].items()} == (
        shipped_links
    )
    for key in ("id", "name", "settings"):
        assert COPY[key] == WORKFLOW[key]


def test_a_stand_in_keeps_its_agents_name_id_position_and_error_output() -> None:
    for name in AGENTS:
        agent, stand_in = SHIPPED_NODES[name], COPY_NODES[name]
        assert stand_in["type"] == "n8n-nodes-base.code"
        for key in ("id", "position", "onError"):
            assert stand_in[key] == agent[key]
        assert "$env" not in stand_in["parameters"]["jsCode"]


def test_the_copy_refuses_a_shipped_workflow_whose_agents_it_does_not_know() -> None:
    renamed = copy.deepcopy(WORKFLOW)
    for node in renamed["nodes"]:
        if node["name"] == "Writer agent":
            node["name"] = "Editor agent"
    with pytest.raises(ValueError, match="Editor agent"):
        offline.offline_copy(renamed)
    assert [n["type"] for n in WORKFLOW["nodes"]].count(AGENT) == 3  # the original untouched


def test_the_stand_ins_answers_go_through_the_shipped_nodes_to_a_valid_episode(
    node_binary: str,
) -> None:
    flow = Flow(node_binary, JOB_BODY, COPY_NODES)
    flow.run("Start run", {})
    for step, agent in (("research", "Research"), ("writing", "Writer"), ("review", "Review")):
        flow.run(f"Plan {step}")
        flow.run(f"{agent} agent")
        flow.run(f"Account {step}")
    body = sent(flow.run("Build completed callback"))
    assert body["title"] == JOB_BODY["project"]["title"] + offline.TITLE_SUFFIX
    assert body["content"].endswith("_Checked against its three sources._")
    assert len(body["sources"]) == 3 and body["confidence"] == 0.8
    assert [(u["promptTokens"], u["completionTokens"]) for u in body["tokenUsage"]] == [
        (u["promptTokens"], u["completionTokens"]) for u in offline.STAND_IN_USAGE.values()
    ]


def test_the_writer_stand_in_fails_when_the_brief_asks_and_the_failure_path_reports_it(
    node_binary: str,
) -> None:
    job = {**JOB_BODY, "project": {**JOB_BODY["project"], "brief": f"Steel {offline.WRITER_FAILS}"}}
    flow = Flow(node_binary, job, COPY_NODES)
    flow.run("Start run", {})
    flow.run("Plan research")
    flow.run("Research agent")
    flow.run("Account research")
    flow.run("Plan writing")
    with pytest.raises(AssertionError, match=offline.WRITER_ERROR):
        flow.run("Writer agent")
    failed = sent(flow.run("Build failed callback", {"error": offline.WRITER_ERROR}))
    assert (failed["retryable"], failed["error"]) == (
        True,
        f"generation failed: {offline.WRITER_ERROR}",
    )
    assert [u["promptTokens"] for u in failed["tokenUsage"]] == [
        offline.STAND_IN_USAGE["Research agent"]["promptTokens"]
    ]


def test_the_script_writes_the_copy_of_the_shipped_file(tmp_path: Path) -> None:
    target = tmp_path / "workflow.json"
    assert offline.main([str(target)]) == 0
    assert json.loads(target.read_text()) == COPY
