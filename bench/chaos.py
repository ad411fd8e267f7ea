"""The pipeline under faults: nothing lost, nothing done twice, no limit overshot.

    .venv/bin/python bench/chaos.py               # at most 10 minutes, stops by itself

Everything runs on 127.0.0.1, against servers of its own: a throwaway PostgreSQL
(``initdb`` + ``pg_ctl`` from the installed binaries, on a free port, ``fsync`` off but
``synchronous_commit`` on, so a restart loses no committed transaction) holding a
database made by bench/_scratch.py (migrated, app role, row-level security on), and
a throwaway ``redis-server`` on a free port (no persistence: a restart empties it,
as losing a Redis host would). On them, production's processes: the real
``manyfutures scheduler``, ``manyfutures worker --processes`` ``--workers`` (3): three
worker processes forked from one supervisor, which forks a replacement when one dies,
and the API under ``manyfutures serve`` (granian), with ``MANYFUTURES_GENERATOR=n8n``,
a callback secret, ``MANYFUTURES_EMAIL=smtp`` and one ``PROMETHEUS_MULTIPROC_DIR`` for
every process.

Shortened through their documented settings (README, Configuration), so the run fits:

- ``MANYFUTURES_GENERATION_DEADLINE_SECONDS=120`` (600): a run whose worker died after
  opening it, before n8n had it, fails as timed out after 120 s and is retried (not
  shorter: a run failed at its deadline while its callbacks still queue at the busy API
  would report its usage late, a deliberate "late overrun" that is not the gate's
  fault);
- ``MANYFUTURES_N8N_CONNECT_TIMEOUT_SECONDS=0.5`` (3) and
  ``MANYFUTURES_N8N_READ_TIMEOUT_SECONDS=0.5`` (10): a webhook the stand-in holds
  times out (the stand-in answers the others in milliseconds; at 1.5 s, waiting out
  the held 15 % took half the workers' time and 5 000 items could not fit in the
  budget);
- ``MANYFUTURES_OUTBOX_LEASE_SECONDS=20`` (600): a batch whose worker died mid-send is
  sent again after 20 s; ``MANYFUTURES_OUTBOX_RETRY_BASE_SECONDS=1`` (30): a refused
  message is retried after 2, 4, 8… s; ``MANYFUTURES_SMTP_TIMEOUT_SECONDS=5`` (30);
- ``MANYFUTURES_SCHEDULER_MAX_WAITING_JOBS=50`` (500): below what the workers start in
  one start lease on the loaded machine (a few jobs a second while they restart), as
  the README asks; at 200, most items spent their three attempts waiting in Redis.

The start lease keeps its 60 s: on the loaded 2-core machine a restarted worker takes
up to 40 s to import before it takes a job, and a shorter lease only burns attempts.

n8n is bench/chaos_standin.py (``--standin-processes``, 2, on one port): 30 % of its
webhooks are answered 503 or held past the read timeout, and the callbacks of the
rest come one to three times each, shuffled, a few at once; each episode reports
£0.50 of usage. Mail goes to an aiosmtpd server in this process (STARTTLS, a trustme
CA given to the processes as ``SSL_CERT_FILE``) that answers 20 % of DATA commands
``451 4.3.0`` (transient) and records the ``Message-ID`` of every message it takes.

Seeding, through the use cases, while the processes start: ``--organizations`` (50)
organizations, an admin each (the reader who is emailed), ``--items`` (5 000) projects
spread evenly. Every fifth organization keeps a ``--limited-gbp`` (£10) daily limit (its
plan's ceiling): with £1.50 reserved per run and £0.50 spent, that lets about 17
episodes through (at £4, about 6) and blocks the rest; the others get £100 000. Once
every worker listens, one transaction makes all the slots due now: each project's
queue item and draft episode, as bench/pipeline.py does, but not the projects' own
next slot (see ``release``).

Chaos, from the release on: every 2 to 5 s a worker process is SIGKILLed, and its
supervisor forks a new one: one RQ shows busy with a job if there is one
(``kills_mid_job`` counts those), else any working one, but never the last worker that
listens (killing every worker would test nothing). Separate ``manyfutures worker``
processes, as before, imported for 40 to 60 s each on the loaded machine before taking
a job: with a kill every few seconds only one worker was ever working. Redis is
restarted once (at 20 s), PostgreSQL once (``pg_ctl stop -m immediate`` then start: a
crash and recovery, at 45 s), the API once (its gunicorn master and workers SIGKILLed
and ``manyfutures serve`` started again, at 70 s). Kills go on while any item is not in
a terminal state; then the bench waits for the outbox to drain (nothing pending) and
counts, from the database and the SMTP server's records:

- ``items``, ``terminal`` (items completed, failed, blocked or cancelled), ``lost``
  (items not terminal when the bench stopped);
- ``published_twice``: episodes with more than one succeeded run or content block;
- ``usage_rows_duplicated``: runs with more than the one usage row they reported;
- ``emails_expected`` (outbox messages written), ``emails_delivered_distinct`` (of
  those, the ones whose Message-ID the SMTP server accepted), ``emails_missing``;
- ``limit_overshoot_gbp``: over every organization and UTC day, what its recorded
  usage exceeds its daily limit by;
- ``worker_kills``, ``kills_mid_job``, ``redis_restarts``, ``postgres_restarts``,
  ``api_restarts``;
- ``metrics_files_start`` (files in ``PROMETHEUS_MULTIPROC_DIR`` at the release, every
  process started), ``metrics_files_max`` (the most seen, sampled every half second)
  and ``metrics_files_end``: the directory must stay flat through the kills and
  restarts, at most ``metrics_files_bound`` (five files, four kinds and a slot lock, per
  process recording at once: the workers, the scheduler and the API's web workers),
  where files named by pid would add four per kill (ADR 0021's amendment);
- ``seconds`` (the whole bench, setup and seeding included).

The bench stops itself at ``--budget-seconds`` (560, so that stopping the processes
fits in 600) whatever the state, and counts what it finds then: on a machine too busy
to finish, ``lost`` counts items still unfinished, not only items the pipeline dropped
(the line of details before the last one tells them apart by status). That line also
holds the stand-in's and the SMTP server's counts, the processes that exited on their
own, and the CPU seconds each component spent (processes killed or restarted are
counted up to their end) and per item: where the time goes; the last line is one
JSON object with exactly the keys above. Every 30 s a line gives the items not yet
terminal, the kills so far and the load average. The exit
status is 1 unless ``lost``, ``published_twice``, ``usage_rows_duplicated``,
``emails_missing`` and ``limit_overshoot_gbp`` are all 0 and the metrics directory
stayed within its bound.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import redis
from _proc import cpu_seconds, process_tree
from _scratch import scratch_database
from aiosmtpd.controller import Controller
from pipeline import (
    RELEASE,
    RELEASE_ITEMS,
    Processes,
    environment,
    free_port,
    wait_listening,
)
from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.container import Container, build_container
from manyfutures.core.identity.plans import MAX_ACTIVE_PROJECTS_CAP, MAX_DAILY_COST_LIMIT_GBP
from manyfutures.core.identity.set_plan import SetPlanCommand
from manyfutures.core.identity.use_cases import (
    SyncMembershipCommand,
    SyncUserCommand,
    UpdateOrganizationCommand,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from tests.integration.postgres.database import _newest_pg_ctl
from tests.support.tls import make_certificates

MANYFUTURES = str(Path(sys.executable).with_name("manyfutures"))
STANDIN = str(Path(__file__).resolve().with_name("chaos_standin.py"))
SENDER = "Many Futures <briefs@manyfutures.example>"
LIMITED_GBP = Decimal("10.00")
SHORTENED = {
    "MANYFUTURES_GENERATION_DEADLINE_SECONDS": "120",
    "MANYFUTURES_N8N_CONNECT_TIMEOUT_SECONDS": "0.5",
    "MANYFUTURES_N8N_READ_TIMEOUT_SECONDS": "0.5",
    "MANYFUTURES_OUTBOX_LEASE_SECONDS": "20",
    "MANYFUTURES_OUTBOX_RETRY_BASE_SECONDS": "1",
    "MANYFUTURES_SMTP_TIMEOUT_SECONDS": "5",
    "MANYFUTURES_SCHEDULER_MAX_WAITING_JOBS": "50",
}
TERMINAL = ("completed", "failed", "blocked", "cancelled")
EPISODES_DUE = RELEASE[1]
WORKER_STARTED = re.compile(r"Worker (\w+): started with PID (\d+)")


@dataclass
class ChaosProcesses(Processes):
    """bench/pipeline.py's processes, each started one with a log file of its own: a
    restarted worker or API must not truncate its predecessor's log (the evidence)."""

    started: Counter[str] = field(default_factory=Counter)
    log_of: dict[int, Path] = field(default_factory=dict)

    def start(self, component: str, argv: Sequence[str], env: dict[str, str]) -> None:
        number = self.started[component]
        self.started[component] += 1
        path = self.logs / f"{component}-{number}.log"
        process = subprocess.Popen(
            list(argv), env=env, stdout=path.open("wb"), stderr=subprocess.STDOUT
        )
        self.running.setdefault(component, []).append(process)
        self.log_of[process.pid] = path

    def stop_all(self) -> None:
        for component in list(self.running):
            self.stop(component)

    def stop(self, component: str) -> None:
        """SIGTERM, then SIGKILL after 5 s: the run's budget includes stopping."""
        group = self.running.pop(component, [])
        for process in group:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in group:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


class PostgresServer:
    """A private PostgreSQL cluster from the installed binaries, restartable in place."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._prefix: list[str] = []
        bindir = Path(_newest_pg_ctl()).parent
        self._pg_ctl = str(bindir / "pg_ctl")
        if os.geteuid() == 0:  # PostgreSQL refuses root: run it as the packaged user
            shutil.chown(workdir, "postgres", "postgres")
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._run(str(bindir / "initdb"), "-D", str(workdir / "pgdata"), "-U", "postgres")
        self._options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._start()

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._prefix, *argv], check=True, stdout=subprocess.DEVNULL, timeout=120)

    def _start(self) -> None:
        data, log = str(self._workdir / "pgdata"), str(self._workdir / "pg.log")
        self._run(self._pg_ctl, "-D", data, "-o", self._options, "-l", log, "-w", "start")

    def _stop(self) -> None:
        data = str(self._workdir / "pgdata")
        self._run(self._pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        """An immediate shutdown (every backend killed, crash recovery at start), then up."""
        self._stop()
        self._start()

    def stop(self) -> None:
        self._stop()

    def pids(self) -> list[int]:
        """The postmaster and its backends."""
        try:
            postmaster = int((self._workdir / "pgdata" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return process_tree(postmaster)


class RedisServer:
    """A private redis-server without persistence: a restart starts it empty."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self._log = logs / "redis.log"
        self._process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--save", "", "--appendonly", "no"]
        process = subprocess.Popen(argv, stdout=self._log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return process
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        self.stop()
        self._process = self._start()

    def stop(self) -> None:
        self._process.kill()
        self._process.wait(10)


class FlakySmtp:
    """aiosmtpd's handler: 20 % of DATA refused with a transient 451, the rest taken."""

    def __init__(self, refuse_share: float, seed: int) -> None:
        self._random = random.Random(seed)
        self._refuse_share = refuse_share
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            if self._random.random() < self._refuse_share:
                self.refused += 1
                return "451 4.3.0 Try again later"
            parsed = message_from_bytes(envelope.original_content, policy=default_policy)
            message_id = str(parsed["Message-ID"]).strip("<>").split("@")[0]
            self.accepted[message_id] += 1
        return "250 OK"


@contextmanager
def smtp_server(handler: FlakySmtp, workdir: Path) -> Iterator[tuple[int, Path]]:
    certificates = make_certificates(workdir)
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=10,
        tls_context=certificates.server,
        require_starttls=True,
    )
    controller.start()
    try:
        yield port, certificates.ca_file
    finally:
        controller.stop()


def member(container: Container, org: str, index: int, limited: Decimal | None) -> Actor:
    user = f"user_chaos_{index:03d}"
    email = f"{user}@example.org"
    container.identity.sync_user()(SyncUserCommand(user, email, user, "Europe/London"))
    container.identity.sync_membership()(
        SyncMembershipCommand(org, org, user, email, user, Role.ADMIN)
    )
    actor = Actor(user, org, Role.ADMIN)
    ceiling = limited if limited is not None else MAX_DAILY_COST_LIMIT_GBP
    container.identity.set_plan()(
        SetPlanCommand(
            org, max_active_projects=MAX_ACTIVE_PROJECTS_CAP, daily_limit_ceiling_gbp=str(ceiling)
        )
    )
    container.identity.update_organization()(
        UpdateOrganizationCommand(actor, daily_cost_limit_gbp=str(ceiling))
    )
    return actor


def seed(
    container: Container, organizations: int, items: int, limited: Decimal, threads: int
) -> list[str]:
    org_ids = [f"org_chaos_{n:03d}" for n in range(organizations)]

    def one(index: int) -> None:
        org = org_ids[index]
        actor = member(container, org, index, limited if index % 5 == 0 else None)
        create = container.projects.create_project()
        count = items // organizations + (1 if index < items % organizations else 0)
        for n in range(count):
            create(CreateProjectCommand(actor, f"Topic {org} {n}", "Brief of the project"))

    one(0)  # every provider made once, before threads share them
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(one, index) for index in range(1, organizations)]:
            future.result()
    return org_ids


@dataclass
class Chaos:
    """The faults injected, and what they hit."""

    processes: ChaosProcesses
    env: dict[str, str]
    redis_server: RedisServer
    postgres: PostgresServer
    api_port: int
    rng: random.Random
    worker_kills: int = 0
    kills_mid_job: int = 0
    redis_restarts: int = 0
    postgres_restarts: int = 0
    api_restarts: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    cpu: Counter[str] = field(default_factory=Counter)  # CPU seconds of processes gone
    _worker_log_pid: int = 0
    _worker_log_read: int = 0
    metrics_files_max: int = 0
    _worker_names: dict[int, str] = field(default_factory=dict)

    def worker_names(self) -> dict[int, str]:
        """The RQ name of every worker process that has listened on its queues, by pid
        (from the log: after a Redis restart RQ's own registry of workers is gone). The
        log is read on from where the last call stopped: it grows by megabytes."""
        (supervisor,) = self.processes.running["worker"]
        if supervisor.pid != self._worker_log_pid:  # a supervisor started again: its own log
            self._worker_log_pid, self._worker_log_read = supervisor.pid, 0
        with self.processes.log_of[supervisor.pid].open("rb") as log:
            log.seek(self._worker_log_read)
            chunk = log.read()
        complete = chunk.rfind(b"\n") + 1
        self._worker_log_read += complete
        for found in WORKER_STARTED.finditer(chunk[:complete].decode(errors="replace")):
            self._worker_names[int(found.group(2))] = found.group(1)
        return self._worker_names

    def ready_workers(self) -> dict[int, str]:
        """Forked workers alive and listening: their pids and RQ names."""
        (supervisor,) = self.processes.running["worker"]
        names = self.worker_names()
        return {pid: names[pid] for pid in _children(supervisor.pid) if pid in names}

    def is_busy(self, connection: redis.Redis, name: str) -> bool:
        try:
            return connection.hget(f"rq:worker:{name}", "state") == b"busy"
        except redis.RedisError:
            return False

    def kill_a_worker(self) -> None:
        """A worker in the middle of a job if there is one, else any that is working; none
        that is still starting, and never the last one listening (with none, nothing is
        tested). ``manyfutures worker --processes`` forks its replacement at once."""
        ready = self.ready_workers()
        if len(ready) < 2:
            return
        connection = redis.Redis.from_url(self.env["MANYFUTURES_REDIS_URL"], socket_timeout=1)
        busy = [pid for pid, name in ready.items() if self.is_busy(connection, name)]
        connection.close()
        victim = self.rng.choice(busy or sorted(ready))
        self.cpu["worker"] += sum(cpu_seconds([victim]).values())
        with suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        self.kills_mid_job += bool(busy)
        self.worker_kills += 1

    def count_metrics_files(self) -> int:
        """Files in PROMETHEUS_MULTIPROC_DIR now; the most seen is kept."""
        count = len(os.listdir(self.env["PROMETHEUS_MULTIPROC_DIR"]))
        self.metrics_files_max = max(self.metrics_files_max, count)
        return count

    def restart_redis(self) -> None:
        self.redis_server.restart()
        self.redis_restarts += 1

    def restart_postgres(self) -> None:
        self.cpu["postgres"] += sum(cpu_seconds(self.postgres.pids()).values())
        self.postgres.restart()
        self.postgres_restarts += 1

    def restart_api(self) -> None:
        self.cpu["api"] += sum(cpu_seconds(self.processes.pids("api")).values())
        for pid in reversed(self.processes.pids("api")):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in self.processes.running.pop("api"):
            process.wait(10)
        start_api(self.processes, self.env, self.api_port)
        self.api_restarts += 1

    def revive(self) -> None:
        """A process that exited on its own is counted (a finding) and started again."""
        for component, group in list(self.processes.running.items()):
            for process in list(group):
                if process.poll() is None:
                    continue
                self.exits[component] += 1
                group.remove(process)
                argv = process.args if isinstance(process.args, list) else [str(process.args)]
                self.processes.start(component, [str(a) for a in argv], self.env)


def release(owner: Engine, org_ids: list[str]) -> list[str]:
    """Every seeded slot due now, in one transaction (bench/pipeline.py's statements for
    the items and their draft episodes). Unlike bench/pipeline.py, the projects' own next
    slot stays next Monday: advancing 5 000 projects, 500 a beat, made each beat last
    about 80 s on the loaded machine, and claims wait behind it (the beat is serial),
    which measures the advance, not the faults."""
    due = datetime.now(UTC)
    with owner.begin() as connection:
        connection.execute(EPISODES_DUE, {"due": due, "orgs": org_ids})
        return list(connection.execute(RELEASE_ITEMS, {"due": due, "orgs": org_ids}).scalars())


def wait_workers_ready(chaos: Chaos, workers: int, deadline: float) -> None:
    """Every worker listening before the release: a claimed job's start lease must not run
    out while the first workers are still importing (seconds on a busy machine)."""
    while time.monotonic() < deadline:
        chaos.processes.check_alive()
        if len(chaos.ready_workers()) >= workers:
            return
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    return [child for child in process_tree(pid) if child != pid]


def start_api(processes: ChaosProcesses, env: dict[str, str], port: int) -> None:
    processes.start("api", [MANYFUTURES, "serve", "--host", "127.0.0.1", "--port", str(port)], env)
    wait_listening(port, processes)


NOT_TERMINAL = text(
    "SELECT count(*) FROM episode_schedule_queue"
    " WHERE id = ANY(:items) AND status NOT IN ('completed', 'failed', 'blocked', 'cancelled')"
)
OUTBOX_PENDING = text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")


def scalar(owner: Engine, statement: Any, **params: Any) -> int | None:
    """One number, or None while the database is restarting."""
    try:
        with owner.connect() as connection:
            return int(connection.execute(statement, params).scalar_one())
    except Exception:  # the server may be down for a moment; asked again
        return None


def run_chaos(chaos: Chaos, owner: Engine, items: list[str], deadline: float) -> None:
    """Kills every few seconds and the three restarts, while items remain unfinished."""
    released = time.monotonic()
    restarts = [
        (20.0, chaos.restart_redis),
        (45.0, chaos.restart_postgres),
        (70.0, chaos.restart_api),
    ]
    next_kill = released + chaos.rng.uniform(2, 5)
    next_report = released + 30
    while time.monotonic() < deadline:
        now = time.monotonic()
        chaos.count_metrics_files()
        if now >= next_report:
            left = scalar(owner, NOT_TERMINAL, items=items)
            print(
                f"{now - released:.0f} s: {left} items not terminal, "
                f"{chaos.worker_kills} kills, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            next_report = now + 30
        if restarts and now - released >= restarts[0][0]:
            _, restart = restarts.pop(0)
            restart()
            print(f"{now - released:.0f} s: {restart.__name__}", flush=True)
        if now >= next_kill:
            chaos.kill_a_worker()
            next_kill = now + chaos.rng.uniform(2, 5)
        chaos.revive()
        if not restarts and scalar(owner, NOT_TERMINAL, items=items) == 0:
            return
        time.sleep(0.5)


def wait_outbox(chaos: Chaos, owner: Engine, deadline: float) -> None:
    while time.monotonic() < deadline:
        chaos.revive()
        chaos.count_metrics_files()
        if scalar(owner, OUTBOX_PENDING) == 0:
            return
        time.sleep(0.5)


COUNTS = text(
    """
    WITH released AS (SELECT unnest(CAST(:items AS text[])) AS item_id),
    items AS (
        SELECT q.* FROM released JOIN episode_schedule_queue AS q ON q.id = released.item_id
    ),
    per_episode AS (
        SELECT i.episode_id,
               (SELECT count(*) FROM generation_runs AS g
                 WHERE g.episode_id = i.episode_id AND g.status = 'succeeded') AS succeeded,
               (SELECT count(*) FROM blocks AS b WHERE b.episode_id = i.episode_id) AS blocks
          FROM items AS i
    ),
    usage_per_run AS (SELECT run_id, count(*) AS rows FROM token_usage GROUP BY run_id),
    mail AS (
        SELECT DISTINCT substring(body FROM '/episodes/(ep_[A-Za-z0-9_]+)') AS episode_id
          FROM outbox_messages
    ),
    spent AS (
        SELECT u.organization_id, date_trunc('day', u.created_at AT TIME ZONE 'UTC') AS day,
               sum(u.cost_gbp) AS gbp
          FROM token_usage AS u GROUP BY 1, 2
    )
    SELECT
        (SELECT count(*) FROM items WHERE status IN ('completed', 'failed', 'blocked',
                                                      'cancelled')) AS terminal,
        (SELECT count(*) FROM per_episode WHERE succeeded > 1 OR blocks > 1) AS published_twice,
        (SELECT count(*) FROM usage_per_run WHERE rows > 1) AS usage_rows_duplicated,
        (SELECT COALESCE(sum(GREATEST(s.gbp - o.daily_cost_limit_gbp, 0)), 0)
           FROM spent AS s JOIN organizations AS o ON o.id = s.organization_id) AS overshoot,
        (SELECT json_object_agg(status, n) FROM
            (SELECT status, count(*) AS n FROM items GROUP BY status) AS s) AS statuses,
        (SELECT json_object_agg(error, n) FROM
            (SELECT left(last_error, 80) AS error, count(*) AS n FROM items
              WHERE status = 'failed' GROUP BY 1) AS f) AS failed_because,
        (SELECT json_object_agg(status, n) FROM
            (SELECT status, count(*) AS n FROM outbox_messages GROUP BY status) AS s) AS outbox,
        (SELECT count(*) FROM items WHERE attempt_count > 1) AS retried_items,
        (SELECT count(*) FROM generation_runs) AS runs,
        (SELECT count(*) FROM generation_runs WHERE status = 'running') AS open_runs,
        (SELECT count(*) FROM items AS i JOIN episodes AS e ON e.id = i.episode_id
          WHERE (i.status = 'completed') <> (e.status = 'PUBLISHED')
             OR (i.status = 'failed' AND e.status <> 'FAILED')) AS item_episode_mismatch,
        (SELECT count(*) FROM items AS i JOIN episodes AS e ON e.id = i.episode_id
          WHERE e.status = 'PUBLISHED' AND NOT EXISTS (
                SELECT 1 FROM mail WHERE mail.episode_id = e.id)) AS published_without_email
    """
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--organizations", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--limited-gbp", default=str(LIMITED_GBP), help="every fifth organization's daily limit"
    )
    parser.add_argument("--standin-processes", type=int, default=2)
    parser.add_argument("--budget-seconds", type=float, default=560)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs here")
    args = parser.parse_args()
    started = time.monotonic()
    deadline = started + args.budget_seconds
    seed_value = args.seed if args.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed_value)
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # clients killed mid-session
    print(f"seed {seed_value}; load average at start: {os.getloadavg()}", flush=True)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chaos-")))
        logs = args.logs or workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        metrics_dir = workdir / "metrics"
        metrics_dir.mkdir()
        postgres = PostgresServer(workdir)
        stack.callback(postgres.stop)
        redis_server = RedisServer(logs)
        stack.callback(redis_server.stop)
        smtp = FlakySmtp(0.2, rng.randrange(2**31))
        smtp_port, ca_file = stack.enter_context(smtp_server(smtp, workdir))
        os.environ["MANYFUTURES_BENCH_DATABASE_URL"] = postgres.url
        scratch = stack.enter_context(scratch_database("manyfutures_chaos"))
        api_port, standin_port = free_port(), free_port()
        env = environment(
            scratch.app_url.render_as_string(hide_password=False),
            redis_server.url,
            api_port,
            standin_port,
        )
        env |= SHORTENED | {
            "SSL_CERT_FILE": str(ca_file),
            "MANYFUTURES_EMAIL": "smtp",
            "MANYFUTURES_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "MANYFUTURES_SMTP_FROM": SENDER,
            "MANYFUTURES_APP_URL": "http://127.0.0.1:9/app",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        settings = Settings.from_env(env | {"MANYFUTURES_DB_POOL_SIZE": "8"})
        owner = create_owner_engine(scratch.owner_url)
        stack.callback(owner.dispose)
        container = build_container(settings)
        stack.callback(lambda: container.adapters.postgres_engine().dispose())
        processes = ChaosProcesses(logs, {})
        stack.callback(processes.stop_all)
        standin_stats = [logs / f"standin-{n}.json" for n in range(args.standin_processes)]
        for n, path in enumerate(standin_stats):
            argv = [sys.executable, STANDIN, "--port", str(standin_port)]
            argv += ["--api", env["MANYFUTURES_PUBLIC_URL"], "--out", str(path)]
            argv += [f"--header-value={env['N8N_WEBHOOK_HEADER_VALUE']}"]
            argv += [f"--secret={env['N8N_CALLBACK_SECRET']}", "--seed", str(seed_value + n)]
            processes.start("standin", argv, env)
        processes.start("api", [MANYFUTURES, "serve", "--port", str(api_port)], env)
        processes.start("worker", [MANYFUTURES, "worker", "--processes", str(args.workers)], env)
        processes.start("scheduler", [MANYFUTURES, "scheduler"], env)
        chaos = Chaos(processes, env, redis_server, postgres, api_port, rng)
        org_ids = seed(
            container, args.organizations, args.items, Decimal(args.limited_gbp), threads=6
        )
        container.adapters.postgres_engine().dispose()
        print(f"seeded {args.items} projects in {time.monotonic() - started:.0f} s", flush=True)

        wait_listening(standin_port, processes)
        wait_listening(api_port, processes)
        wait_workers_ready(chaos, args.workers, deadline)
        print(f"{args.workers} workers ready at {time.monotonic() - started:.0f} s", flush=True)

        metrics_files_start = chaos.count_metrics_files()
        items = release(owner, org_ids)
        print(f"{len(items)} items due at {time.monotonic() - started:.0f} s", flush=True)
        run_chaos(chaos, owner, items, deadline)
        print(f"items settled at {time.monotonic() - started:.0f} s; the outbox next", flush=True)
        wait_outbox(chaos, owner, deadline)
        time.sleep(1)
        metrics_files_end = chaos.count_metrics_files()
        for component in ("scheduler", "worker", "api", "standin"):
            chaos.cpu[component] += sum(cpu_seconds(processes.pids(component)).values())
        chaos.cpu["postgres"] += sum(cpu_seconds(postgres.pids()).values())
        processes.stop("scheduler")
        processes.stop("worker")
        processes.stop("api")
        processes.stop("standin")
        with owner.connect() as connection:
            row = connection.execute(COUNTS, {"items": items}).one()
            outbox_ids = list(connection.execute(text("SELECT id FROM outbox_messages")).scalars())
    seconds = time.monotonic() - started
    metrics_files_bound = 5 * (args.workers + 1 + settings.web_workers)
    metrics_files_max = chaos.metrics_files_max
    delivered = sum(1 for message_id in outbox_ids if smtp.accepted[message_id])
    standin = Counter[str]()
    for path in standin_stats:
        if path.exists():
            standin.update(json.loads(path.read_text()))
    summary = {
        "items": len(items),
        "terminal": int(row.terminal),
        "lost": len(items) - int(row.terminal),
        "published_twice": int(row.published_twice),
        "usage_rows_duplicated": int(row.usage_rows_duplicated),
        "emails_expected": len(outbox_ids),
        "emails_delivered_distinct": delivered,
        "emails_missing": len(outbox_ids) - delivered,
        "limit_overshoot_gbp": str(row.overshoot),
        "worker_kills": chaos.worker_kills,
        "kills_mid_job": chaos.kills_mid_job,
        "redis_restarts": chaos.redis_restarts,
        "postgres_restarts": chaos.postgres_restarts,
        "api_restarts": chaos.api_restarts,
        "metrics_files_start": metrics_files_start,
        "metrics_files_end": metrics_files_end,
        "metrics_files_max": chaos.metrics_files_max,
        "seconds": round(seconds, 1),
    }
    details = {
        "seed": seed_value,
        "item_statuses": row.statuses,
        "failed_because": row.failed_because,
        "outbox_statuses": row.outbox,
        "retried_items": row.retried_items,
        "runs": row.runs,
        "open_runs": row.open_runs,
        # Each should be 0: an item's end and its episode's agree, a published episode
        # has its email in the outbox.
        "item_episode_mismatch": row.item_episode_mismatch,
        "published_without_email": row.published_without_email,
        "smtp_refused": smtp.refused,
        "smtp_accepted_again": sum(n - 1 for n in smtp.accepted.values() if n > 1),
        "standin": dict(sorted(standin.items())),
        "exited_on_their_own": dict(chaos.exits),
        # Every recording process's files (four kinds) and its slot's lock: the most
        # processes that ever record at once are the workers, the scheduler and the API's.
        "metrics_files_bound": metrics_files_bound,
        "cpu_seconds": {k: round(v, 1) for k, v in sorted(chaos.cpu.items())},
        "cpu_ms_per_item": round(1000 * sum(chaos.cpu.values()) / max(len(items), 1), 1),
        "load_average_end": os.getloadavg(),
    }
    print(json.dumps(details), flush=True)
    print(json.dumps(summary), flush=True)
    faults = (
        metrics_files_max > metrics_files_bound,
        summary["lost"],
        summary["published_twice"],
        summary["usage_rows_duplicated"],
        summary["emails_missing"],
        Decimal(str(summary["limit_overshoot_gbp"])),
    )
    return 0 if not any(faults) else 1


if __name__ == "__main__":
    sys.exit(main())
