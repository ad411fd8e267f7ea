"""A real HTTP server on 127.0.0.1 standing in for n8n's chat webhook.

The chat workflow answers in the same request (its "Respond to Webhook" node), so this
one answers each POST with the status and JSON body it is told to, or holds its answer
until released (to make the caller's read time out). It records
every request, headers included, to check the Header Auth credential and the payload.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

WEBHOOK_PATH = "/webhook/manyfutures-assistant-chat"
ANSWER: dict[str, Any] = {
    "reply": "Sodium-ion cells are shipping in buses this year.",
    "usage": [
        {"model": "gpt-4o-mini", "promptTokens": 900, "completionTokens": 60, "costGbp": "0.0002"}
    ],
    "proposal": None,
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that gave up (its read timed out) is what some tests are about."""


@dataclass(frozen=True)
class ReceivedChat:
    headers: dict[str, str]
    body: dict[str, Any]


class AssistantStandIn:
    def __init__(self, status: int = 200, answer: dict[str, Any] | None = None) -> None:
        self.status = status
        self.answer = answer if answer is not None else ANSWER
        self.held = threading.Event()  # set: answers wait until the server stops
        self._released = threading.Event()
        self.received: list[ReceivedChat] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with standin._lock:
                    standin.received.append(ReceivedChat(dict(self.headers.items()), body))
                    status, answer = standin.status, standin.answer
                if standin.held.is_set():
                    standin._released.wait(30)
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
