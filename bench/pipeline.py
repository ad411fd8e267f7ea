"""The whole generation pipeline under a burst: 2 000 projects due at the same instant.

    .venv/bin/python bench/pipeline.py            # ~3 minutes on the 2-core machine

Everything production runs, as production runs it: a throwaway PostgreSQL database
(bench/_scratch.py: migrated, app role, row-level security on) on
``MANYFUTURES_BENCH_DATABASE_URL``; a Redis database number of its own on the test
Redis (the first free of 1 to 14, held with the same lock key the RQ tests take, so
a bench and a test session never share one); the real ``manyfutures scheduler``,
``--workers`` (2) ``manyfutures worker`` processes (RQ's ``SimpleWorker`` as
``LeanSimpleWorker``, ADR 0012)
and the API under ``manyfutures serve`` (granian by default, ``MANYFUTURES_WEB_WORKERS`` x
``MANYFUTURES_WEB_THREADS``, default 2 x 2), with ``MANYFUTURES_GENERATOR=n8n`` and a
callback secret, so every callback is signed and checked. Production's defaults
otherwise: a beat every second, batches of 50, a 60 s start lease, INFO logs (to
files).

n8n is bench/pipeline_standin.py: ``--standin-processes`` (2) processes on one port,
each playing every job on a thread of its own (n8n runs executions side by side),
answering 202 (with TCP_NODELAY, as n8n's Node server does) and then calling the API
back over HTTP with three ``progress`` callbacks and a ``completed`` one (with
``tokenUsage``), with no thinking time in between.

Seeding, through the use cases: ``--organizations`` (20) organizations, one admin each,
each given a plan (``manyfutures orgs set-plan``'s use case) with room for every
project and a £100 000 ceiling, and its daily cost limit raised to it (the default £50
would stop an organization after 33 episodes, as the cost gate reserves ``maxCostGbp``,
£1.50, per generation; the default plan allows 10 active projects). The
projects (``--projects``, 2 000, spread evenly) are created with their first slot next
Monday, and a warm-up organization's 20 projects go through the whole pipeline first,
so the measured burst meets warm processes (pools connected, statements prepared),
as a 09:00 burst in production does. Then one transaction makes all 2 000 slots due
at the same instant ``due`` (2 s ahead, so it commits before then): each project's
``next_scheduled_at``, its queue item's ``scheduled_for`` and ``available_at``, and its
draft episode's ``scheduled_for``, as if the clock had reached their slot.

Figures, all from the database once the pipeline is idle:

- ``episodes_per_s``: episodes PUBLISHED / (last ``published_at`` - ``due``).
- ``p95_added_ms``: per published episode, ``(published_at - due) - held``, where
  ``published_at`` is the API's clock when the ``completed`` callback's use case began,
  and ``held`` is the time the job spent in the stand-in's hands: from the stand-in
  reading the webhook POST to it starting the ``completed`` callback, less the round
  trips of its three ``progress`` callbacks (those are the API's time). What remains
  is ours: waiting for the beat, the claim, the enqueue, the wait in Redis, the start
  job up to the webhook POST arriving, the three progress callbacks, and the
  ``completed`` callback until its use case starts. With 2 000 due at once it is
  dominated by the backlog, so p50 and the wait before each run opened are shown too.
- ``published_exactly_once`` / ``duplicates`` / ``missing``, per released queue item:
  its episode PUBLISHED, the item completed, one succeeded run, one block, one usage
  row per ``tokenUsage`` line of that run (and none of another run's), one outbox
  message ("your episode is ready"), one published episode per project.
  ``duplicates`` counts the items with more than that of anything, ``missing`` those
  with less (``*_by_kind``: the rows over or under, by kind); ``statuses`` tallies
  the items' and episodes' final states, and ``reclaimed_items`` the items claimed
  more than once (their job still waiting in Redis when the start lease ran out).
- ``rq_noop_jobs_per_s``, the ceiling, in the same run, once the pipeline's own
  scheduler, workers and stand-in have stopped: the same ``--workers`` worker processes
  (``manyfutures worker noop``, the same class and settings) drain as many no-op jobs;
  ``n / (last ended_at - first started_at)`` from RQ's job hashes.
- The stand-in is shown not to be the bottleneck: its p95 queue wait (received to a
  sender picking the job up), its p95 ``held`` time, its p95 time to answer the
  webhook (body read to 202 written) and its CPU seconds, beside every
  other component's (from /proc: the API's server processes, the workers, the
  scheduler, the stand-in, the PostgreSQL backends serving this database, and the
  Redis server when it runs on this machine).
- Where an episode's CPU goes, against the target (``cpu_budget``): the pipeline is
  bound by the machine's CPU, so at 100 episodes/s each episode may spend
  ``cores * 1000 / 100`` ms across every process (``cpu_budget_ms_per_episode``).
  ``cpu_ms_per_episode`` is what it spent, by component. ``floor_cpu_ms_per_episode``
  is what it costs before any of the episode's own work, each part measured in this run: the
  stand-in's CPU per episode, RQ's CPU for one no-op job (``rq_noop_cpu_ms_per_job``:
  dequeueing and running it, the workers' CPU and Redis's, read after the workers
  started, held by ``rq suspend``; enqueueing is the scheduler's, not in the floor)
  and four of the API server's cheapest requests (``http_floor_cpu_ms_per_request``:
  ``GET /healthz`` over keep-alive connections, after the burst: the server's and the
  app's fixed cost of a request, its hooks, metrics and access log included). Redis is
  the test Redis, shared with any test session running at the same time: run the bench
  on a quiet machine.

The load average is printed at start and end (the machine is shared). The last line
is one JSON object; the exit status is 1 unless every episode was published exactly
once.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from _proc import cpu_seconds, process_tree
from _scratch import scratch_database
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry
from rq.suspension import resume, suspend
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
from manyfutures.entrypoints.worker import WORKER_CLASS
from manyfutures.settings import Settings

# The RQ tests' own way of taking a Redis database number (same lock key, same range).
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from tests.support.redis_server import private_database, redis_server

TARGET_EPISODES_PER_S = 100
MANYFUTURES = str(Path(sys.executable).with_name("manyfutures"))
STANDIN = str(Path(__file__).resolve().with_name("pipeline_standin.py"))
WEBHOOK_PATH = "/webhook/manyfutures-episode-generation"
WARMUP_ORG, WARMUP_PROJECTS = "org_warmup", 20
NOOP = "noop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Processes:
    """Every process the bench starts, by component, each logging to its own file."""

    logs: Path
    running: dict[str, list[subprocess.Popen[bytes]]]

    def start(self, component: str, argv: Sequence[str], env: dict[str, str]) -> None:
        group = self.running.setdefault(component, [])
        log = (self.logs / f"{component}-{len(group)}.log").open("wb")
        group.append(subprocess.Popen(list(argv), env=env, stdout=log, stderr=subprocess.STDOUT))

    def stop(self, component: str) -> None:
        """SIGTERM, as a supervisor stops it; SIGKILL if it is not gone in 30 s."""
        group = self.running.pop(component, [])
        for process in group:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in group:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def check_alive(self) -> None:
        for component, group in self.running.items():
            for process in group:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{component} exited with {process.returncode}; see {self.logs}"
                    )

    def pids(self, component: str) -> list[int]:
        """The component's processes and their children (the server's workers)."""
        found: list[int] = []
        for process in self.running.get(component, []):
            found.extend(process_tree(process.pid))
        return found


def wait_listening(port: int, processes: Processes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            processes.check_alive()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def redis_database() -> Iterator[str]:
    with redis_server() as server, private_database(server) as url:
        yield url


def environment(app_url: str, redis_url: str, api_port: int, standin_port: int) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MANYFUTURES_")}
    return {
        **inherited,
        "MANYFUTURES_STORAGE": "postgres",
        # Loopback-only bench: a fixed secret signs its unsubscribe links.
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "bench-unsubscribe-secret-0123456789abcdef",
        # ...and the console's session cookies, which serving HTTP over PostgreSQL requires.
        "MANYFUTURES_CONSOLE_SECRET": "bench-console-secret-0123456789abcdef0123",
        "MANYFUTURES_APP_DATABASE_URL": app_url,
        # Loopback-only bench: dev headers stand in for Clerk (the callbacks need neither).
        "MANYFUTURES_AUTH": "dev",
        "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        "MANYFUTURES_DISPATCHER": "rq",
        "MANYFUTURES_REDIS_URL": redis_url,
        "MANYFUTURES_GENERATOR": "n8n",
        "MANYFUTURES_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "N8N_WEBHOOK_URL": f"http://127.0.0.1:{standin_port}{WEBHOOK_PATH}",
        "N8N_WEBHOOK_HEADER_VALUE": secrets.token_urlsafe(16),
        "N8N_CALLBACK_SECRET": secrets.token_urlsafe(24),
    }


def seed(container: Container, organizations: int, projects: int) -> list[str]:
    """The organizations (limits raised) and their projects, first slot next Monday."""
    org_ids = [f"org_bench_{n:03d}" for n in range(organizations)]
    for index, org in enumerate(org_ids):
        actor = member(container, org, f"user_bench_{index:03d}")
        count = projects // organizations + (1 if index < projects % organizations else 0)
        create = container.projects.create_project()
        for n in range(count):
            create(CreateProjectCommand(actor, f"Topic {org} {n}", "Brief of the project"))
    return org_ids


def member(container: Container, org: str, user: str) -> Actor:
    email = f"{user}@example.org"
    container.identity.sync_user()(SyncUserCommand(user, email, user, "Europe/London"))
    container.identity.sync_membership()(
        SyncMembershipCommand(org, org, user, email, user, Role.ADMIN)
    )
    actor = Actor(user, org, Role.ADMIN)
    # The operator's plan first: room for every project, and a ceiling the limit may reach.
    container.identity.set_plan()(
        SetPlanCommand(
            org,
            max_active_projects=MAX_ACTIVE_PROJECTS_CAP,
            daily_limit_ceiling_gbp=str(MAX_DAILY_COST_LIMIT_GBP),
        )
    )
    container.identity.update_organization()(
        UpdateOrganizationCommand(actor, daily_cost_limit_gbp=str(MAX_DAILY_COST_LIMIT_GBP))
    )
    return actor


def warm_up(container: Container, owner: Engine, processes: Processes, timeout: float) -> None:
    """20 episodes through every process before the measured burst."""
    actor = member(container, WARMUP_ORG, "user_warmup")
    create = container.projects.create_project()
    for n in range(WARMUP_PROJECTS):
        create(CreateProjectCommand(actor, f"Warm-up {n}", "Brief", deliver_first_now=True))
    query = text(
        "SELECT count(*) FROM episodes WHERE organization_id = :org AND status = 'PUBLISHED'"
    )
    deadline = time.monotonic() + timeout
    while True:
        with owner.connect() as connection:
            if connection.execute(query, {"org": WARMUP_ORG}).scalar_one() >= WARMUP_PROJECTS:
                return
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the warm-up did not publish in {timeout} s; see {processes.logs}")
        time.sleep(0.2)


RELEASE = (
    text(
        "UPDATE projects SET next_scheduled_at = :due"
        " WHERE organization_id = ANY(:orgs) AND status = 'ACTIVE'"
    ),
    text(
        "UPDATE episodes AS e SET scheduled_for = :due FROM episode_schedule_queue AS q"
        " WHERE q.episode_id = e.id AND q.organization_id = ANY(:orgs) AND q.status = 'pending'"
    ),
)
RELEASE_ITEMS = text(
    "UPDATE episode_schedule_queue SET scheduled_for = :due, available_at = :due"
    " WHERE organization_id = ANY(:orgs) AND status = 'pending' RETURNING id"
)


def release(owner: Engine, org_ids: list[str]) -> tuple[datetime, list[str]]:
    """Make every seeded slot due at one instant, 2 s ahead; returns it and the items."""
    due = datetime.now(UTC) + timedelta(seconds=2)
    with owner.begin() as connection:
        for statement in RELEASE:
            connection.execute(statement, {"due": due, "orgs": org_ids})
        items = list(connection.execute(RELEASE_ITEMS, {"due": due, "orgs": org_ids}).scalars())
    if datetime.now(UTC) >= due:
        raise RuntimeError("the release committed after its due instant; the machine is too busy")
    return due, items


PUBLISHED = text(
    "SELECT count(*) FROM episode_schedule_queue AS q JOIN episodes AS e ON e.id = q.episode_id"
    " WHERE q.id = ANY(:items) AND e.status = 'PUBLISHED'"
)


def wait_published(
    owner: Engine, items: list[str], processes: Processes, stall_seconds: float
) -> int:
    """Until every released item's episode is published, or nothing moves for a while."""
    last, moved = -1, time.monotonic()
    while True:
        with owner.connect() as connection:
            published = connection.execute(PUBLISHED, {"items": items}).scalar_one()
        if published >= len(items):
            return published
        if published != last:
            last, moved = published, time.monotonic()
        elif time.monotonic() - moved > stall_seconds:
            print(f"stalled at {published} of {len(items)} published", flush=True)
            return published
        processes.check_alive()
        time.sleep(0.25)


PER_ITEM = text(
    """
    WITH released AS (SELECT unnest(CAST(:items AS text[])) AS item_id),
    mail AS (
        SELECT substring(body FROM '/episodes/(ep_[A-Za-z0-9_]+)') AS episode_id,
               count(*) AS messages
          FROM outbox_messages GROUP BY 1
    )
    SELECT q.id, q.project_id, q.episode_id, q.available_at, q.attempt_count,
           q.status AS item_status, e.status AS episode_status, e.published_at,
           (SELECT count(*) FROM blocks AS b WHERE b.episode_id = q.episode_id) AS blocks,
           (SELECT count(*) FROM generation_runs AS g WHERE g.queue_item_id = q.id) AS runs,
           (SELECT min(g.started_at) FROM generation_runs AS g
             WHERE g.queue_item_id = q.id) AS first_run_started,
           (SELECT array_agg(g.id) FROM generation_runs AS g
             WHERE g.queue_item_id = q.id AND g.status = 'succeeded') AS succeeded,
           (SELECT count(*) FROM token_usage AS u JOIN generation_runs AS g ON g.id = u.run_id
             WHERE g.queue_item_id = q.id AND g.status = 'succeeded') AS usage_rows,
           (SELECT count(*) FROM token_usage AS u JOIN generation_runs AS g ON g.id = u.run_id
             WHERE g.queue_item_id = q.id AND g.status <> 'succeeded') AS other_usage_rows,
           COALESCE(mail.messages, 0) AS outbox,
           (SELECT count(*) FROM episodes AS p WHERE p.project_id = q.project_id
               AND p.status = 'PUBLISHED') AS published_in_project
      FROM released
      JOIN episode_schedule_queue AS q ON q.id = released.item_id
      JOIN episodes AS e ON e.id = q.episode_id
      LEFT JOIN mail ON mail.episode_id = q.episode_id
    """
)


@dataclass(frozen=True)
class Tally:
    published: int
    # Items with more (or fewer) than one of something, and the rows over (or under), by kind.
    duplicate_items: int
    missing_items: int
    duplicates: dict[str, int]
    missing: dict[str, int]
    reclaimed_items: int
    statuses: dict[str, int]
    rows: list[Any]


def tally(owner: Engine, items: list[str], usage_lines: int) -> Tally:
    """Exactly once, item by item, from the rows the pipeline wrote."""
    with owner.connect() as connection:
        rows = list(connection.execute(PER_ITEM, {"items": items}))
    expected: dict[str, Callable[[Any], int]] = {
        "published": lambda r: int(r.episode_status == "PUBLISHED"),
        "item_completed": lambda r: int(r.item_status == "completed"),
        "succeeded_runs": lambda r: len(r.succeeded or ()),
        "blocks": lambda r: r.blocks,
        "usage_rows": lambda r: r.usage_rows,
        "outbox_messages": lambda r: r.outbox,
        "published_per_project": lambda r: r.published_in_project,
    }
    once = dict.fromkeys(expected, 1) | {"usage_rows": usage_lines}
    over = {name: [max(0, count(r) - once[name]) for r in rows] for name, count in expected.items()}
    under = {
        name: [max(0, once[name] - count(r)) for r in rows] for name, count in expected.items()
    }
    over["usage_rows_of_other_runs"] = [r.other_usage_rows for r in rows]
    statuses = Counter(f"item {r.item_status}, episode {r.episode_status}" for r in rows)
    return Tally(
        published=sum(1 for r in rows if r.episode_status == "PUBLISHED"),
        duplicate_items=sum(1 for counts in zip(*over.values(), strict=True) if any(counts)),
        missing_items=len(items)
        - len(rows)
        + sum(1 for counts in zip(*under.values(), strict=True) if any(counts)),
        duplicates={name: sum(counts) for name, counts in over.items()},
        missing={name: sum(counts) for name, counts in under.items()}
        | {"items_not_found": len(items) - len(rows)},
        reclaimed_items=sum(1 for r in rows if r.attempt_count > 1),
        statuses=dict(statuses),
        rows=rows,
    )


def standin_records(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    records = {}
    for path in paths:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            records[record["run_id"]] = record
    return records


def held_seconds(record: dict[str, Any]) -> float:
    """Receipt to the start of ``completed``, less the progress callbacks' round trips."""
    *progress, completed = record["callbacks"]
    return (completed[0] - record["received"]) - sum(end - start for start, end, *_ in progress)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass(frozen=True)
class NoopCeiling:
    jobs_per_s: float
    cpu_ms_per_job: float
    """The worker processes' CPU and the Redis server's, per no-op job."""


def rq_noop(
    env: dict[str, str], processes: Processes, workers: int, jobs: int, redis_pids: list[int]
) -> NoopCeiling:
    """The same worker command and class draining no-op jobs: RQ's own ceiling here, and
    what one job costs RQ in CPU (the workers' and Redis's).

    The workers start while RQ's suspension holds them (``rq suspend``), so their CPU is
    read once they are up and idle: their start-up (seconds of imports) is not the jobs'."""
    connection = redis.Redis.from_url(env["MANYFUTURES_REDIS_URL"])
    queue = Queue(NOOP, connection=connection)
    enqueued = queue.enqueue_many(
        [Queue.prepare_data("os.getpid", result_ttl=3600) for _ in range(jobs)]
    )
    suspend(connection)
    for _ in range(workers):
        processes.start("noop-worker", [MANYFUTURES, "worker", NOOP], env)
    _wait_for(lambda: len(Worker.all(queue=queue)) == workers, processes, "the no-op workers")
    time.sleep(1)  # past their first suspension check: idle
    pids = processes.pids("noop-worker") + redis_pids
    before = sum(cpu_seconds(pids).values())
    resume(connection)
    finished = FinishedJobRegistry(queue=queue)
    # Polled without the registry's clean-up, which would add Redis work to the window.
    _wait_for(lambda: finished.get_job_count(cleanup=False) >= jobs, processes, "the no-op jobs")
    cpu = sum(cpu_seconds(pids).values()) - before
    processes.stop("noop-worker")
    fetched = [job for job in Job.fetch_many([j.id for j in enqueued], connection) if job]
    done = [job for job in fetched if job.ended_at is not None and job.started_at is not None]
    if len(done) != jobs:
        raise RuntimeError(f"only {len(done)} of {jobs} no-op jobs ran")
    first = min(job.started_at for job in done if job.started_at)
    last = max(job.ended_at for job in done if job.ended_at)
    return NoopCeiling(jobs / (last - first).total_seconds(), cpu * 1000 / jobs)


def _wait_for(
    condition: Callable[[], bool], processes: Processes, what: str, timeout: float = 600
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not done in {timeout} s; see {processes.logs}")
        time.sleep(0.1)


def local_redis(url: str) -> list[int]:
    """The Redis server's process if it runs on this machine: its CPU is the pipeline's
    too (every job and every enqueue is a few commands), so it is counted with the rest.
    The pid Redis reports is checked to be a redis-server here (a Redis in a container
    reports its own namespace's pid)."""
    pid = int(redis.Redis.from_url(url).info("server")["process_id"])
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return []
    return [pid] if name == "redis-server" else []


HTTP_FLOOR_REQUESTS, HTTP_FLOOR_CONNECTIONS = 4000, 8


def http_floor(port: int, api_pids: list[int]) -> float:
    """CPU ms the API's server spends on its cheapest request, ``GET /healthz``, over
    keep-alive connections: what each of an episode's four callbacks costs before the
    callback's own work (the signature, the body, the database); the app's hooks,
    metrics and access log are in it. The clients' CPU is not counted."""

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(count):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET /healthz answered {response.status}")
        connection.close()

    per_client = HTTP_FLOOR_REQUESTS // HTTP_FLOOR_CONNECTIONS
    before = sum(cpu_seconds(api_pids).values())
    with ThreadPoolExecutor(HTTP_FLOOR_CONNECTIONS) as pool:
        list(pool.map(client, [per_client] * HTTP_FLOOR_CONNECTIONS))
    spent = sum(cpu_seconds(api_pids).values()) - before
    return spent * 1000 / (per_client * HTTP_FLOOR_CONNECTIONS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--standin-processes", type=int, default=2)
    parser.add_argument("--stall-seconds", type=float, default=120)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs here")
    args = parser.parse_args()
    load_start = os.getloadavg()
    print(f"load average at start: {load_start}", flush=True)
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_database("manyfutures_pipeline"))
        redis_url = stack.enter_context(redis_database())
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        api_port, standin_port = free_port(), free_port()
        env = environment(
            scratch.app_url.render_as_string(hide_password=False), redis_url, api_port, standin_port
        )
        settings = Settings.from_env(env)
        owner = create_owner_engine(scratch.owner_url)
        stack.callback(owner.dispose)
        container = build_container(settings)
        stack.callback(lambda: container.adapters.postgres_engine().dispose())

        started = time.monotonic()
        org_ids = seed(container, args.organizations, args.projects)
        print(
            f"seeded {args.projects} projects over {args.organizations} organizations in "
            f"{time.monotonic() - started:.0f} s; each organization's daily cost limit raised "
            f"to £{MAX_DAILY_COST_LIMIT_GBP} under a plan set for it (room for every project)",
            flush=True,
        )

        processes = Processes(logs, {})
        stack.callback(lambda: [processes.stop(c) for c in list(processes.running)])
        records_paths = [logs / f"standin-{n}.jsonl" for n in range(args.standin_processes)]
        for path in records_paths:
            standin_argv = [sys.executable, STANDIN, "--port", str(standin_port)]
            standin_argv += ["--api", env["MANYFUTURES_PUBLIC_URL"]]
            standin_argv += ["--out", str(path)]
            standin_argv += [f"--header-value={env['N8N_WEBHOOK_HEADER_VALUE']}"]
            standin_argv += [f"--secret={env['N8N_CALLBACK_SECRET']}"]
            processes.start("standin", standin_argv, env)
        serve = [MANYFUTURES, "serve", "--host", "127.0.0.1", "--port", str(api_port)]
        processes.start("api", serve, env)
        wait_listening(standin_port, processes)
        wait_listening(api_port, processes)
        for _ in range(args.workers):
            processes.start("worker", [MANYFUTURES, "worker"], env)
        processes.start("scheduler", [MANYFUTURES, "scheduler"], env)
        warm_up(container, owner, processes, timeout=120)
        print(f"warm-up: {WARMUP_PROJECTS} episodes published through every process", flush=True)

        components = ("api", "worker", "scheduler", "standin")
        with owner.connect() as connection:
            backends = list(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
        redis_pids = local_redis(redis_url)
        pids = {c: processes.pids(c) for c in components} | {
            "postgres": backends,
            "redis": redis_pids,
        }
        cpu_before = {c: cpu_seconds(p) for c, p in pids.items()}
        due, items = release(owner, org_ids)
        print(f"{len(items)} items due at {due.isoformat()}", flush=True)
        wait_published(owner, items, processes, args.stall_seconds)
        load_end = os.getloadavg()
        cpu_after = {c: cpu_seconds(p) for c, p in pids.items()}
        cpu = {
            c: round(
                sum(
                    cpu_after[c][pid] - cpu_before[c][pid]
                    for pid in cpu_after[c]
                    if pid in cpu_before[c]
                ),
                1,
            )
            for c in pids
        }
        time.sleep(2)  # let the last callbacks' answers reach the stand-in
        processes.stop("scheduler")
        processes.stop("worker")
        processes.stop("standin")
        result = tally(owner, items, usage_lines=1)
        records = standin_records(records_paths)

        http_floor_ms = http_floor(api_port, processes.pids("api"))
        noop = rq_noop(env, processes, args.workers, args.projects, redis_pids)

    published_at = [r.published_at for r in result.rows if r.published_at is not None]
    span = (max(published_at) - due).total_seconds() if published_at else None
    episodes_per_s = result.published / span if span else 0.0
    added, held, waits, opened, answers = [], [], [], [], []
    for row in result.rows:
        if row.published_at is None or not row.succeeded:
            continue
        record = records.get(row.succeeded[0])
        if record is None or len(record["callbacks"]) != 4:
            continue
        held.append(held_seconds(record))
        waits.append(record["picked"] - record["received"])
        answers.append(record["answered_in"])
        added.append((row.published_at - row.available_at).total_seconds() - held[-1])
        opened.append((row.first_run_started - row.available_at).total_seconds())
    callbacks = [c for record in records.values() for c in record["callbacks"]]
    failed_callbacks = sum(1 for c in callbacks if c[2] != 200)
    duplicates, missing = result.duplicate_items, result.missing_items
    exactly_once = duplicates == 0 and missing == 0
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    summary = {
        "bench": "pipeline",
        "episodes_per_s": round(episodes_per_s, 1),
        "target_episodes_per_s": TARGET_EPISODES_PER_S,
        "meets_target": episodes_per_s >= TARGET_EPISODES_PER_S and exactly_once,
        "worker_class": WORKER_CLASS.__name__,
        "workers": args.workers,
        "rq_noop_jobs_per_s": round(noop.jobs_per_s, 1),
        "ratio_to_rq_noop": round(episodes_per_s / noop.jobs_per_s, 3),
        "p95_added_ms": ms(percentile(added, 0.95)) if added else None,
        "p50_added_ms": ms(percentile(added, 0.5)) if added else None,
        "p95_due_to_run_opened_ms": ms(percentile(opened, 0.95)) if opened else None,
        "published_exactly_once": exactly_once,
        "duplicates": duplicates,
        "missing": missing,
        "duplicates_by_kind": result.duplicates,
        "missing_by_kind": result.missing,
        "episodes": len(items),
        "published": result.published,
        "seconds_due_to_last_published": round(span, 2) if span is not None else None,
        # Episodes whose stand-in record holds all four callbacks: the added latency's sample.
        "latency_sample": len(added),
        "reclaimed_items": result.reclaimed_items,
        "statuses": result.statuses,
        "organizations": args.organizations,
        "daily_cost_limit_gbp": str(MAX_DAILY_COST_LIMIT_GBP),
        "api": {"workers": settings.web_workers, "threads": settings.web_threads},
        "standin": {
            "processes": args.standin_processes,
            "p95_queue_wait_ms": ms(percentile(waits, 0.95)) if waits else None,
            "p95_held_ms": ms(percentile(held, 0.95)) if held else None,
            "p95_webhook_answer_ms": ms(percentile(answers, 0.95)) if answers else None,
            "callbacks": len(callbacks),
            "callbacks_not_200": failed_callbacks,
        },
        "cpu_seconds": cpu,
        **cpu_budget(cpu, result.published, noop.cpu_ms_per_job, http_floor_ms),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
    }
    print(
        f"{result.published} of {len(items)} published in {span or 0:.1f} s: "
        f"{episodes_per_s:.1f} episodes/s (target {TARGET_EPISODES_PER_S}); RQ's no-op job on "
        f"the same {args.workers} {WORKER_CLASS.__name__} processes: {noop.jobs_per_s:.1f}/s; "
        f"p95 added {summary['p95_added_ms']} ms (p50 {summary['p50_added_ms']} ms); "
        f"duplicates {duplicates}, missing {missing}; CPU seconds {cpu}; "
        f"stand-in p95 queue wait {summary['standin']['p95_queue_wait_ms']} ms; "
        f"load average {load_start} -> {load_end}",
        flush=True,
    )
    print(
        f"CPU per episode {summary['cpu_ms_per_episode']} ms; at the target the machine's "
        f"{len(os.sched_getaffinity(0))} cores give {summary['cpu_budget_ms_per_episode']} ms, "
        "and the floor "
        f"(the stand-in, RQ's own cost of one job, four of the server's cheapest requests) "
        f"takes {summary['floor_cpu_ms_per_episode']} ms of it",
        flush=True,
    )
    print(json.dumps(summary))
    return 0 if exactly_once else 1


def cpu_budget(
    cpu: dict[str, float], published: int, rq_job_ms: float, http_request_ms: float
) -> dict[str, Any]:
    """Where an episode's CPU goes, against what the target leaves it.

    At ``TARGET_EPISODES_PER_S`` the machine's cores give each episode
    ``cores * 1000 / target`` ms of CPU, whoever spends it. The floor is what an episode
    costs before any of its own work, each part measured in this run: the stand-in's
    own CPU per episode (n8n's part), RQ's CPU for dequeueing and running one no-op job
    (workers and Redis), and the API's cheapest request four times (the four callbacks'
    HTTP, with the app's fixed per-request cost). The episode's own work may spend the rest.
    """
    if not published:
        return {}
    per_episode = {name: round(seconds * 1000 / published, 2) for name, seconds in cpu.items()}
    floor = per_episode.get("standin", 0.0) + rq_job_ms + 4 * http_request_ms
    cores = len(os.sched_getaffinity(0))  # the cores this bench may use, not the host's
    return {
        "cpu_ms_per_episode": round(sum(per_episode.values()), 1),
        "cpu_ms_per_episode_by_component": per_episode,
        "cpu_budget_ms_per_episode": round(cores * 1000 / TARGET_EPISODES_PER_S, 1),
        "rq_noop_cpu_ms_per_job": round(rq_job_ms, 2),
        "http_floor_cpu_ms_per_request": round(http_request_ms, 2),
        "floor_cpu_ms_per_episode": round(floor, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
