"""A real HTTP server on 127.0.0.1 standing in for n8n's webhook.

It records every job POSTed to it, answers with the status it is told to (202 by
default), can hold its answer until released (to make the caller's read time out),
and hands each job it accepted to a script that plays the workflow — typically
calling back the API over HTTP — on its own thread, after the answer has gone out,
as n8n's "respond immediately" Webhook node does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

WEBHOOK_PATH = "/webhook/manyfutures-episode-generation"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that gave up (its read timed out) is what some tests are about."""


@dataclass(frozen=True)
class ReceivedJob:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    client: tuple[str, int]  # the caller's address and port: one per TCP connection


class N8nStandIn:
    def __init__(
        self, status: int = 202, on_job: Callable[[ReceivedJob], None] | None = None
    ) -> None:
        self.status = status
        self.on_job = on_job
        self.jobs: list[ReceivedJob] = []
        self.held = threading.Event()  # set: answers wait until ``release()``
        self._released = threading.Event()
        self._scripts: list[threading.Event] = []  # one per script: set when it ends
        self._lock = threading.Condition()
        self._unanswered = 0  # jobs received whose script is not registered yet
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    def hold_answers(self) -> None:
        self.held.set()

    def release(self) -> None:
        self._released.set()

    def wait_for_scripts(self, timeout: float = 10) -> None:
        """Wait for every callback script of every job answered so far.

        A script is registered before its job is answered, so once the caller has its
        answer, this waits for that job's script too; a held job is waited for until it
        has been released and answered.
        """
        with self._lock:
            assert self._lock.wait_for(lambda: self._unanswered == 0, timeout)
            scripts = list(self._scripts)
        for done in scripts:
            assert done.wait(timeout), "a stand-in callback script did not finish"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self.wait_for_scripts()

    def _received(self, job: ReceivedJob) -> int:
        with self._lock:
            self.jobs.append(job)
            self._unanswered += 1
        if self.held.is_set():
            self._released.wait(30)
        return self.status

    def _script_for(
        self, status: int
    ) -> tuple[Callable[[ReceivedJob], None], threading.Event] | None:
        """The script to run once this job is answered (registered now), if any."""
        with self._lock:
            self._unanswered -= 1
            self._lock.notify_all()
            if not 200 <= status < 300 or self.on_job is None:
                return None
            done = threading.Event()
            self._scripts.append(done)
            return self.on_job, done

    @staticmethod
    def _run_script(
        script: Callable[[ReceivedJob], None], job: ReceivedJob, done: threading.Event
    ) -> None:
        def run() -> None:
            try:
                script(job)
            finally:
                done.set()

        threading.Thread(target=run, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                job = ReceivedJob(
                    self.path,
                    dict(self.headers.items()),
                    json.loads(raw or b"{}"),
                    (str(self.client_address[0]), int(self.client_address[1])),
                )
                status = stand_in._received(job)
                script = stand_in._script_for(status)
                answer = b"" if status == 204 else b'{"message": "Workflow was started"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the caller gave up waiting; like n8n, run the job anyway
                if script is not None:
                    run, done = script
                    stand_in._run_script(run, job, done)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests assert on what was received instead."""

        return Handler
