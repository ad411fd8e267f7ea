"""Raw HTTP against the real servers: ``manyfutures serve`` (production, on granian and
on gunicorn) and ``manyfutures run`` (what ``make run`` starts), each as its own process.

These are the requests a test client cannot make: chunked bodies, whose length the
application learns only by reading them, and headers the server itself parses. Each
server runs with a 4 KiB body limit so an oversized body is cheap to send. The
servers are started through the CLI, so the tests keep holding whatever server
``serve`` is built on.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.integration

BODY_LIMIT = 4096
DEV_HEADERS = {"X-Dev-User": "user_raw", "X-Dev-Org": "org_raw", "X-Dev-Role": "admin"}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    command: str
    port: int

    def send(self, head: str, body: bytes = b"") -> Reply:
        """One request written byte for byte (head without the blank line), read back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=15) as connection:
            connection.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
            response = http.client.HTTPResponse(connection)
            response.begin()
            return Reply(response.status, response.headers, response.read())

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        fields = {**DEV_HEADERS, "Host": "127.0.0.1", "Connection": "close", **(headers or {})}
        if body and "Transfer-Encoding" not in fields:
            fields["Content-Length"] = str(len(body))
        lines = [
            f"{method} {path} HTTP/1.1",
            *(f"{name}: {value}" for name, value in fields.items()),
        ]
        return self.send("\r\n".join(lines), body)

    def project_count(self) -> int:
        reply = self.request("GET", "/v1/projects?limit=100")
        assert reply.status == 200, reply.body
        return len(reply.json()["items"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start(command: str, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``manyfutures <command>`` on a free port, in memory mode, until the test ends."""
    port = _free_port()
    env = {
        **os.environ,
        "MANYFUTURES_STORAGE": "memory",
        "MANYFUTURES_AUTH": "dev",
        "MANYFUTURES_MAX_BODY_BYTES": str(BODY_LIMIT),
        "MANYFUTURES_RATE_LIMIT": "100000 per minute",
        "MANYFUTURES_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    arguments = [command, "--host", "127.0.0.1", "--port", str(port)]
    if command == "run":
        arguments.append("--no-demo")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from manyfutures.entrypoints.cli import main; "
            f"sys.exit(main({arguments!r}))",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                _, errors = (
                    process.communicate(timeout=5) if process.poll() is not None else (b"", b"")
                )
                raise RuntimeError(
                    f"manyfutures {command} did not start: {errors.decode()[-2000:]}"
                )
            time.sleep(0.1)
        yield Server(command, port)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module", params=["granian", "gunicorn", "run"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The production servers and the development server, one process each per module."""
    if request.param == "run":
        yield from start("run")
    else:
        yield from start("serve", {"MANYFUTURES_WEB_SERVER": request.param})


def chunked(body: bytes, size: int = 1000) -> bytes:
    pieces = [body[start : start + size] for start in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def _project_json(length: int) -> bytes:
    """A valid project body exactly ``length`` bytes long."""
    empty = b'{"title": "Chunked", "brief": ""}'
    return empty[:-2] + b"b" * (length - len(empty)) + b'"}'


def assert_problem(reply: Reply, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, reply.body[:500]
    assert reply.headers.get_content_type() == "application/problem+json", reply.body[:500]
    problem: dict[str, Any] = reply.json()
    assert (problem["status"], problem["type"]) == (status, f"/problems/{slug}")
    return problem


def test_a_chunked_body_up_to_the_limit_is_read_whole(server: Server) -> None:
    before = server.project_count()
    body = _project_json(BODY_LIMIT)
    reply = server.request(
        "POST",
        "/v1/projects",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunked(body),
    )
    assert reply.status == 201, reply.body
    assert len(reply.json()["brief"]) == BODY_LIMIT - len(b'{"title": "Chunked", "brief": ""}')
    assert server.project_count() == before + 1


@pytest.mark.parametrize("tail", [b"GARBAGE", b" " * 10, b"x" * 5000])
def test_a_chunked_body_over_the_limit_is_413_never_a_truncated_parse(
    server: Server, tail: bytes
) -> None:
    """The first BODY_LIMIT bytes are a complete, valid body: parsing a truncated read
    would create a project and drop the tail."""
    before = server.project_count()
    reply = server.request(
        "POST",
        "/v1/projects",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunked(_project_json(BODY_LIMIT) + tail),
    )
    assert_problem(reply, 413, "payload-too-large")
    assert server.project_count() == before


def test_a_content_length_over_the_limit_is_413(server: Server) -> None:
    before = server.project_count()
    reply = server.request(
        "POST",
        "/v1/projects",
        {"Content-Type": "application/json"},
        _project_json(BODY_LIMIT + 1),
    )
    assert_problem(reply, 413, "payload-too-large")
    assert server.project_count() == before


# --- Header limits: the server's above the application's ------------------------------

KIB = 1024


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer " + "t" * (20 * KIB)},
        {"Authorization": "Bearer " + "t" * (63 * KIB)},  # just under the server's line limit
        {"Cookie": "__session=" + "c" * (40 * KIB)},
        {f"X-Filler-{n}": "f" * KIB for n in range(40)},
    ],
    ids=["20-KiB-token", "63-KiB-token", "40-KiB-cookie", "40-headers-of-1-KiB"],
)
@pytest.mark.parametrize("path", ["/v1/me", "/healthz", "/nowhere"])
def test_headers_over_the_application_limit_are_431_problems(
    server: Server, headers: dict[str, str], path: str
) -> None:
    problem = assert_problem(server.request("GET", path, headers), 431, "headers-too-large")
    assert "16384" in problem["detail"]


def test_headers_under_the_application_limit_pass_even_past_the_old_line_limit(
    server: Server,
) -> None:
    """gunicorn's own default refused any header line over 8 190 bytes."""
    reply = server.request("GET", "/v1/me", {"X-Trace": "t" * (12 * KIB)})
    assert reply.status == 200, reply.body[:300]
