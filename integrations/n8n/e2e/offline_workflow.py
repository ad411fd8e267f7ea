"""The shipped workflow with its AI steps played by Code nodes, for ``make n8n-e2e``.

No language model is reachable from the machines that run the end-to-end check, so
the copy imported there replaces each AI Agent node with a Code node of the same
name, position and error handling, which answers what an agent answers (``output``,
plus the ``tokenUsage`` an agent may report) with fixed text, and drops the
chat-model nodes that fed the agents. Everything else — the webhook and its Header
Auth, the plan and cost nodes, the progress, completed and failed callbacks, their
HMAC signing — is the shipped workflow's own, node for node: the copy is generated
from integrations/n8n/episode-generation.json at every run, so the two cannot drift.

A stand-in step waits ``step_seconds`` before it answers, as a model takes a while to
write, so whoever polls the episode sees each stage's progress in turn. The writer
stand-in fails, as a model call can, for a project whose brief contains ``WRITER_FAILS``:
that drives the shipped failure path (the error output, the failed callback with the
usage so far, the API's retries) through a real n8n too.

Run as a script, it prints the copy (or writes it to the path given).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parents[1] / "episode-generation.json"
AGENT_TYPE = "@n8n/n8n-nodes-langchain.agent"
LANGCHAIN_PREFIX = "@n8n/n8n-nodes-langchain."
CODE_TYPE, CODE_VERSION = "n8n-nodes-base.code", 2

# What each stand-in reports having used; the end-to-end check expects these in the ledger.
STAND_IN_USAGE = {
    "Research agent": {"promptTokens": 1500, "completionTokens": 600},
    "Writer agent": {"promptTokens": 2400, "completionTokens": 1300},
    "Review agent": {"promptTokens": 2100, "completionTokens": 1250},
}
TITLE_SUFFIX = ": three signals to watch"
WRITER_FAILS = "[e2e: the writer fails]"
WRITER_ERROR = "the writer stand-in failed, as the brief asked"

_RESEARCH = """
const job = $('Episode job').first().json.body;
const notes = (job.planningNotes ?? []).map((n) => n.note);
const output = [
  `Research notes on ${job.project.title}.`,
  '- Signal one: costs keep falling. Source: Example Institute (https://example.org/costs)',
  '- Signal two: regulation is catching up. Source: Example Gazette (https://example.org/rules)',
  '- Signal three: incumbents are hedging. Source: Example Review (https://example.org/hedges)',
  `Planning notes to answer: ${notes.length ? notes.join('; ') : 'none'}.`,
].join('\\n');
"""
_WRITER = """
const job = $('Episode job').first().json.body;
if (String(job.project.brief).includes('WRITER_FAILS')) throw new Error('WRITER_ERROR');
const paragraph =
  'Three developments stand out this period, and each points to a different path. ' +
  'Costs keep falling, regulation is catching up, and incumbents are hedging their bets. ';
const content = [
  `# ${job.project.title}`,
  '',
  paragraph.repeat(12).trim(),
  '',
  '## What to watch',
  '',
  paragraph.repeat(4).trim(),
].join('\\n');
const output = JSON.stringify({
  title: `${job.project.title}TITLE_SUFFIX`,
  summary: 'Costs are falling and rules are catching up. Incumbents hedge.',
  content,
  sources: [
    { title: 'Example Institute', url: 'https://example.org/costs' },
    { title: 'Example Gazette', url: 'https://example.org/rules' },
    { title: 'Example Review', url: 'https://example.org/hedges' },
  ],
});
"""
_REVIEW = """
const draft = JSON.parse($('Writer agent').first().json.output);
const output = JSON.stringify({
  content: `${draft.content}\\n\\n_Checked against its three sources._`,
  reasoning: 'Every claim matches a source; nothing was cut.',
  confidence: 0.8,
});
"""
_BODIES = {"Research agent": _RESEARCH, "Writer agent": _WRITER, "Review agent": _REVIEW}


def stand_in_code(agent: str, step_seconds: float) -> str:
    """The JavaScript of the Code node that plays ``agent``."""
    body = _BODIES[agent].strip()
    for name, value in (
        ("TITLE_SUFFIX", TITLE_SUFFIX),
        ("WRITER_FAILS", WRITER_FAILS),
        ("WRITER_ERROR", WRITER_ERROR),
    ):
        body = body.replace(name, value)
    usage = json.dumps(STAND_IN_USAGE[agent])
    pause_ms = round(step_seconds * 1000)
    return (
        f"// Stands in for the {agent} (make n8n-e2e: no model is reachable): fixed text,\n"
        "// and token counts reported the way an agent may report them.\n"
        f"await new Promise((resolve) => setTimeout(resolve, {pause_ms}));\n"
        f"{body}\n"
        f"return [{{ json: {{ output, tokenUsage: {usage} }} }}];\n"
    )


def offline_copy(shipped: dict[str, Any], step_seconds: float = 0.0) -> dict[str, Any]:
    """The shipped workflow with every agent a Code node and the agents' sub-nodes gone."""
    workflow = copy.deepcopy(shipped)
    agents = {node["name"] for node in workflow["nodes"] if node["type"] == AGENT_TYPE}
    if agents != set(_BODIES):
        raise ValueError(
            f"the shipped workflow's agents are {sorted(agents)}, the stand-ins play "
            f"{sorted(_BODIES)}: update integrations/n8n/e2e/offline_workflow.py"
        )
    sub_nodes = {
        node["name"]
        for node in workflow["nodes"]
        if node["type"].startswith(LANGCHAIN_PREFIX) and node["type"] != AGENT_TYPE
    }
    nodes = []
    for node in workflow["nodes"]:
        if node["name"] in sub_nodes:
            continue
        if node["name"] in agents:
            kept = {k: v for k, v in node.items() if k in ("id", "name", "position", "onError")}
            node = {
                **kept,
                "type": CODE_TYPE,
                "typeVersion": CODE_VERSION,
                "parameters": {"jsCode": stand_in_code(node["name"], step_seconds)},
            }
        nodes.append(node)
    workflow["nodes"] = nodes
    workflow["connections"] = {
        source: {kind: links for kind, links in outputs.items() if kind == "main"}
        for source, outputs in workflow["connections"].items()
        if source not in sub_nodes
    }
    return workflow


def main(argv: list[str]) -> int:
    workflow = offline_copy(json.loads(SHIPPED.read_text()))
    text = json.dumps(workflow, indent=2) + "\n"
    if argv:
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
