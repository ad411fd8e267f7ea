"""bench/chaos.py's stand-in for n8n: a faulty one, several processes sharing a port.

Run by bench/chaos.py, never by hand::

    python bench/chaos_standin.py --port P --api http://127.0.0.1:Q \
        --header-value … --secret … --out stats.json --seed N

Of the webhook POSTs whose Header Auth value matches, ``--fail-share`` (30 %) fail:
half are answered 503, half are held without an answer for ``--hold-seconds`` (longer
than the API's ``MANYFUTURES_N8N_READ_TIMEOUT_SECONDS``, so its POST times out) and then
dropped; n8n never runs either job. The rest are answered 202 and played as
bench/pipeline_standin.py plays them (three ``progress`` callbacks and a ``completed``
one with ``tokenUsage``, signed), except that every callback is sent one to three
times and all the copies of a job in a random order, a few at once on a pool of
sender threads: duplicated, concurrent and out of order.

A callback the API cannot take now (no connection: the API is restarting; a 5xx: its
database is restarting) is sent again every half second for up to ``--retry-seconds``,
as n8n's HTTP Request node does with "Retry On Fail". Its other answers are final. On
SIGTERM each process writes one JSON object of counts (webhooks by fate, callbacks by
answer and outcome, callbacks given up) to ``--out``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from pipeline_standin import CALLBACK_PATH, CONTENT, PROGRESS, WEBHOOK_HEADER, _Server
from pipeline_standin import signed_headers as _signed_headers

# What each episode "cost": with MANYFUTURES_MAX_EPISODE_COST_GBP at 1.50 reserved per
# run, a £10 daily limit allows about 17 of them.
COST_GBP = "0.50"
USAGE = [{"model": "gpt-4o", "promptTokens": 1200, "completionTokens": 800, "costGbp": COST_GBP}]


class FaultyStandIn:
    def __init__(self, api: str, secret: str, header_value: str, args: argparse.Namespace) -> None:
        parts = urlsplit(api)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._secret = secret
        self.header_value = header_value
        self._random = random.Random(args.seed)
        self._fail_share = args.fail_share
        self.hold_seconds = args.hold_seconds
        self._retry_seconds = args.retry_seconds
        self._senders = ThreadPoolExecutor(args.senders)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.counts: Counter[str] = Counter()

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def fate(self) -> str:
        """``ok``, ``error`` (503) or ``hold`` (no answer until the API gave up)."""
        with self._lock:
            draw = self._random.random()
        if draw < self._fail_share / 2:
            return "error"
        if draw < self._fail_share:
            return "hold"
        return "ok"

    def play(self, job: dict[str, Any]) -> None:
        """Every callback of the job one to three times, all copies shuffled, a few at once."""
        token, run_id = job["callback"]["token"], job["runId"]
        payloads: list[dict[str, Any]] = [
            {"runId": run_id, "type": "progress", "stage": stage, "percent": percent}
            for stage, percent in PROGRESS
        ]
        payloads.append(
            {
                "runId": run_id,
                "type": "completed",
                "title": f"Episode for {job['project']['title']}",
                "summary": "What changed this week, and what it means.",
                "content": CONTENT,
                "sources": [{"title": "A source", "url": "https://example.org/a"}],
                "reasoning": "Signals weighed against the brief.",
                "confidence": 0.82,
                "tokenUsage": USAGE,
            }
        )
        with self._lock:
            copies = [p for p in payloads for _ in range(self._random.randint(1, 3))]
            self._random.shuffle(copies)
            delays = [self._random.uniform(0, 0.3) for _ in copies]
        for payload, delay in zip(copies, delays, strict=True):
            self._senders.submit(self._send, token, payload, delay)

    def stop(self) -> None:
        self._senders.shutdown(wait=True, cancel_futures=False)

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
            self._local.connection = connection
        return connection

    def _send(self, token: str, payload: dict[str, Any], delay: float) -> None:
        time.sleep(delay)
        body = json.dumps(payload).encode()
        give_up = time.monotonic() + self._retry_seconds
        while True:
            connection = self._connection()
            try:
                connection.request(
                    "POST", CALLBACK_PATH, body, _signed_headers(token, self._secret, body)
                )
                response = connection.getresponse()
                answer = response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                status, answer = 0, b""
            else:
                status = response.status
            if 0 < status < 500:
                body = json.loads(answer) if answer else {}
                # 200: how the API took it; another answer: why not (its problem's detail).
                outcome = body.get("outcome") if status == 200 else body.get("detail")
                self.count(f"callback {payload['type']} {status} {outcome}")
                return
            self.count(f"callback retried after {status or 'no connection'}")
            if time.monotonic() > give_up:
                self.count(f"callback {payload['type']} given up")
                return
            time.sleep(0.5)


def handler(stand_in: FaultyStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as n8n's server answers (bench/pipeline_standin.py says why).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get(WEBHOOK_HEADER) != stand_in.header_value:
                stand_in.count("webhook 401")
                self._answer(401, b'{"message": "Authorization data is wrong!"}')
                return
            fate = stand_in.fate()
            stand_in.count(f"webhook {fate}")
            if fate == "error":
                self._answer(503, b'{"message": "Service Unavailable"}')
                return
            if fate == "hold":
                time.sleep(stand_in.hold_seconds)
                self.close_connection = True
                return
            self._answer(202, b'{"message": "Workflow was started"}')
            stand_in.play(json.loads(raw))

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the counts say what happened."""

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--header-value", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fail-share", type=float, default=0.3)
    parser.add_argument("--hold-seconds", type=float, default=3.0)
    parser.add_argument("--retry-seconds", type=float, default=120.0)
    parser.add_argument("--senders", type=int, default=16)
    args = parser.parse_args()
    sys.setswitchinterval(0.0005)
    stand_in = FaultyStandIn(args.api, args.secret, args.header_value, args)
    server = _Server(("127.0.0.1", args.port), handler(stand_in))

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever(poll_interval=0.05)
    server.server_close()
    stand_in.stop()
    args.out.write_text(json.dumps(dict(stand_in.counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
