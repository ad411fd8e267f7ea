"""The Redis the integration tests use, and a database of it to oneself.

The server is ``MANYFUTURES_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``). On
CI (``CI=true``) it must answer: a missing server is a failure there, never a skip.
Elsewhere, when nothing listens, a throwaway ``redis-server`` on a free port stands in.

RQ's keys have fixed names (``rq:queue:generation``, ``rq:workers``…), so two test
sessions sharing one database would see each other's workers and jobs. A session that
runs RQ takes a database number of its own: the first of 1 to 14 (not 0, where a developer's
own ``make run`` may point, and not the configured one, which the API tests empty) whose
lock key it can set with ``SET NX``. It empties that database of everything but its lock
before and after use, and gives the number back at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import redis

from manyfutures.adapters.redis.client import redis_client
from tests.support.ci import on_ci

CONFIGURED_URL = os.environ.get("MANYFUTURES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LOCK_KEY = "manyfutures:test-session"
LOCK_SECONDS = 3 * 3600  # outlives any session; a crashed session's number comes back later
CANDIDATES = range(1, 15)


def answers(url: str) -> bool:
    connection = redis_client(url)
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False
    finally:
        connection.close()


@contextmanager
def redis_server() -> Iterator[str]:
    """The configured Redis's URL; without one (outside CI), a throwaway server's."""
    if answers(CONFIGURED_URL):
        yield CONFIGURED_URL
        return
    if on_ci():
        raise RuntimeError(f"CI=true and no Redis answers at {CONFIGURED_URL}")
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(f"no Redis at {CONFIGURED_URL} and no redis-server to start one")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/15"
    try:
        deadline = time.monotonic() + 10
        while not answers(url):
            if time.monotonic() > deadline:
                raise RuntimeError("the throwaway redis-server did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def private_database(server_url: str) -> Iterator[str]:
    """The URL of a database number no other test session holds, emptied."""
    token = secrets.token_hex(8)
    parts = urlsplit(server_url)
    configured = redis.Redis.from_url(server_url).connection_pool.connection_kwargs.get("db", 0)
    for number in CANDIDATES:
        if number == configured:
            continue
        url = urlunsplit(parts._replace(path=f"/{number}"))
        connection = redis.Redis.from_url(url)
        try:
            if connection.set(LOCK_KEY, token, nx=True, ex=LOCK_SECONDS):
                try:
                    empty(connection)
                    yield url
                finally:
                    empty(connection)
                    if connection.get(LOCK_KEY) == token.encode():
                        connection.delete(LOCK_KEY)
                return
        finally:
            connection.close()
    raise RuntimeError(f"every Redis database 1 to 14 at {parts.netloc} is held by another session")


def empty(connection: redis.Redis) -> None:
    """Everything but the session's lock key."""
    doomed = [key for key in connection.scan_iter(count=1000) if key != LOCK_KEY.encode()]
    for start in range(0, len(doomed), 500):
        connection.delete(*doomed[start : start + 500])
