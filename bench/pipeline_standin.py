"""bench/pipeline.py's stand-in for n8n: one process of several sharing a port.

Run by bench/pipeline.py, never by hand::

    python bench/pipeline_standin.py --port P --api http://127.0.0.1:Q \
        --header-value … --secret … --out records.jsonl

It answers the webhook as n8n's "respond immediately" Webhook node does (202 once the
Header Auth value matches), then plays the workflow with no thinking time: three
``progress`` callbacks and one ``completed`` (with ``tokenUsage``) to the API over
HTTP, signed as the README's n8n section says. Several processes bind the same port
(``SO_REUSEPORT``, the kernel spreads the connections) and plays each job on a thread
of its own with its own keep-alive connection, as n8n runs executions side by side, so
a backlog forms in the API, never in the stand-in. Each process
writes one JSON line per job on SIGTERM: when it received the job, how long its 202
took, when a sender picked it up, and the start and end of every callback, so the
bench can subtract the time the job spent in the stand-in's hands (and show that this
time stays small).
These records are timings only; every count the bench reports comes from the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

CALLBACK_PATH = "/webhooks/n8n/episodes"
WEBHOOK_HEADER = "X-Webhook-Key"
PROGRESS = (("research", 30), ("writing", 60), ("review", 90))
CONTENT = "# A brief\n\n" + "Strategic foresight paragraph with signals and scenarios. " * 40
USAGE = [{"model": "gpt-4o", "promptTokens": 1200, "completionTokens": 800, "costGbp": "0.03"}]


class _Server(ThreadingHTTPServer):
    allow_reuse_port = True
    daemon_threads = True
    request_queue_size = 256


def signed_headers(token: str, secret: str, body: bytes) -> dict[str, str]:
    """Bearer token, and the HMAC-SHA256 signature of ``<timestamp>.<body>`` (README)."""
    from manyfutures.adapters.n8n.callback_signature import (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        callback_signature,
    )

    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: callback_signature(secret, timestamp, body),
    }


class StandIn:
    def __init__(self, api: str, secret: str, header_value: str) -> None:
        parts = urlsplit(api)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._secret = secret
        self.header_value = header_value
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._running: list[threading.Thread] = []

    def accept(self, job: dict[str, Any], received: float) -> None:
        """Each job its own thread, as n8n runs executions side by side (no limit by
        default): the stand-in never queues a job behind another."""
        thread = threading.Thread(target=self._play, args=(job, received), daemon=True)
        with self._lock:
            self._running.append(thread)
        thread.start()

    def stop(self) -> None:
        with self._lock:
            running = list(self._running)
        for thread in running:
            thread.join(30)

    def _play(self, job: dict[str, Any], received: float) -> None:
        record: dict[str, Any] = {
            "run_id": job["runId"],
            "received": received,
            "picked": time.time(),
            "answered_in": job["answeredIn"],
            "callbacks": [],
        }
        connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
        token = job["callback"]["token"]
        for stage, percent in PROGRESS:
            body = {"runId": job["runId"], "type": "progress", "stage": stage}
            connection = self._post(connection, token, {**body, "percent": percent}, record)
        completed = {
            "runId": job["runId"],
            "type": "completed",
            "title": f"Episode for {job['project']['title']}",
            "summary": "What changed this week, and what it means.",
            "content": CONTENT,
            "sources": [{"title": "A source", "url": "https://example.org/a"}],
            "reasoning": "Signals weighed against the brief.",
            "confidence": 0.82,
            "tokenUsage": USAGE,
        }
        connection = self._post(connection, token, completed, record)
        connection.close()
        with self._lock:
            self.records.append(record)

    def _post(
        self,
        connection: http.client.HTTPConnection,
        token: str,
        payload: dict[str, Any],
        record: dict[str, Any],
    ) -> http.client.HTTPConnection:
        """One callback; a keep-alive connection the server closed meanwhile is reopened and
        the callback sent again (a callback is safe to repeat: the API says so, 200)."""
        body = json.dumps(payload).encode()
        started = time.time()
        for attempt in range(3):
            try:
                connection.request(
                    "POST", CALLBACK_PATH, body, signed_headers(token, self._secret, body)
                )
                response = connection.getresponse()
                answer = response.read()
                outcome = json.loads(answer).get("outcome") if response.status == 200 else None
                record["callbacks"].append([started, time.time(), response.status, outcome])
                return connection
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
                if attempt == 2:
                    record["callbacks"].append([started, time.time(), 0, None])
        return connection


def handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as n8n's server (Node's http, noDelay by default) answers. Without
        # it the 202's body, written after its headers, waited for the worker's delayed
        # ACK (~40 ms on Linux) behind Nagle's algorithm: most of a start job's time.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received = time.time()
            if self.headers.get(WEBHOOK_HEADER) != stand_in.header_value:
                self._answer(401, b'{"message": "Authorization data is wrong!"}')
                return
            self._answer(202, b'{"message": "Workflow was started"}')
            job = json.loads(raw)
            job["answeredIn"] = time.time() - received
            stand_in.accept(job, received)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the bench reads the records instead."""

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--header-value", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    # Many job threads wait on sockets; a short switch interval lets the thread that
    # answers the webhook have the GIL sooner (the default is 5 ms).
    sys.setswitchinterval(0.0005)
    stand_in = StandIn(args.api, args.secret, args.header_value)
    server = _Server(("127.0.0.1", args.port), handler(stand_in))

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever(poll_interval=0.05)
    server.server_close()
    stand_in.stop()
    with args.out.open("w") as out:
        for record in stand_in.records:
            out.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
