"""Real ``manyfutures worker`` and ``manyfutures scheduler`` processes on the session's
PostgreSQL database and a Redis database of this session's own.

Leases, deadlines, stages and the beat are shortened through settings, so nothing here
waits for real minutes. Every process writes its log to the test's temporary folder;
a failing assertion shows them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from manyfutures.container import Container, build_container
from manyfutures.core.identity.use_cases import SyncMembershipCommand, SyncUserCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import CONSOLE_SECRET, UNSUBSCRIBE_SECRET
from tests.support.redis_server import empty, private_database, redis_server

MANYFUTURES = str(Path(sys.executable).with_name("manyfutures"))
# Short clocks: a lost job comes back within 2 s, a silent run fails after 3 s.
FAST = {
    "MANYFUTURES_TICK_SECONDS": "0.1",
    "MANYFUTURES_START_LEASE_SECONDS": "2",
    "MANYFUTURES_GENERATION_DEADLINE_SECONDS": "3",
    "MANYFUTURES_SIMULATED_STAGE_SECONDS": "0.05",
}


@pytest.fixture
def db(postgres_database: MigratedDatabase) -> MigratedDatabase:
    postgres_database.reset()
    return postgres_database


@pytest.fixture(scope="session")
def rq_redis_url() -> Iterator[str]:
    with redis_server() as server, private_database(server) as url:
        yield url


@dataclass
class Pipeline:
    database: MigratedDatabase
    redis_url: str
    logs: Path
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)

    def environment(self, **overrides: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("MANYFUTURES_")}
        return {
            **inherited,
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_CONSOLE_SECRET": CONSOLE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": self.database.app_url.render_as_string(
                hide_password=False
            ),
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_DISPATCHER": "rq",
            "MANYFUTURES_REDIS_URL": self.redis_url,
            "MANYFUTURES_GENERATOR": "simulated",
            "MANYFUTURES_DB_POOL_SIZE": "2",
            "MANYFUTURES_LOG_LEVEL": "INFO",
            **FAST,
            **overrides,
        }

    def start(self, *argv: str, **overrides: str) -> subprocess.Popen[bytes]:
        """``manyfutures <argv>`` as its own process."""
        name = f"{len(self.processes):02d}-{'-'.join(argv)}"
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [MANYFUTURES, *argv],
            env=self.environment(**overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((name, process))
        return process

    def container(self, **overrides: str) -> Container:
        """The same settings in this process, to seed and read through the use cases."""
        environment = self.environment(**overrides)
        container = build_container(Settings.from_env(environment))
        self.containers.append(container)
        return container

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def member(self, container: Container, org: str, user: str) -> Actor:
        email = f"{user}@example.org"
        container.identity.sync_user()(SyncUserCommand(user, email, user, "Europe/London"))
        container.identity.sync_membership()(
            SyncMembershipCommand(org, f"Org {org}", user, email, user, Role.ADMIN)
        )
        return Actor(user, org, Role.ADMIN)

    def logs_text(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
        """SIGTERM, as a supervisor stops it; SIGKILL if it does not go in time."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def close(self) -> None:
        running = [process for _, process in self.processes if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)  # all at once: each stops on its own
        for process in running:
            self.stop(process)
        for container in self.containers:
            container.adapters.postgres_engine().dispose()


@pytest.fixture
def pipeline(db: MigratedDatabase, rq_redis_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    connection = redis.Redis.from_url(rq_redis_url)
    empty(connection)
    pipeline = Pipeline(db, rq_redis_url, tmp_path)
    try:
        yield pipeline
    finally:
        pipeline.close()
        empty(connection)
        connection.close()


def eventually(
    condition: Callable[[], bool], timeout: float, why: Callable[[], str] = lambda: ""
) -> None:
    """Poll until ``condition`` holds; fail with ``why()`` (the process logs) if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout} s\n{why()}")
        time.sleep(0.05)
