"""Which RQ worker class runs the generation-start job fastest: Worker, SpawnWorker, SimpleWorker.

    .venv/bin/python bench/rq_worker_class.py            # ~4 minutes on a 2-core machine

The job is the production one, ``entrypoints.jobs.start_generation``, run by the
production ``run_worker`` with each class in turn, in the same run, on PostgreSQL (a
throwaway database from bench/_scratch.py, app role, RLS on) and Redis (a throwaway
``redis-server`` on a free port, or ``MANYFUTURES_BENCH_REDIS_URL``, which must then
hold no RQ keys). Each job opens a generation run for a claimed item in its own
transaction and hands the request to the simulated generator, which, with RQ, enqueues
the simulation as a job on the ``simulation`` queue; the workers measured listen on
``generation`` only, so the simulations are never run and only the start job is timed.

For each class and round: ``--jobs`` projects due now are created, one scheduler tick
claims them and enqueues one job each, then one worker process of that class works the
queue in burst mode. Jobs per second are counted from the database afterwards: the
runs' ``started_at`` (the clock read at the start of each job's use case), ``(n - 1) /
(last - first)``, so a worker's start-up and its first job's import and connection are
not timed, while everything a class repeats per job is: ``Worker`` forks a work horse
and the horse builds its own container, engine and database connection
(process_container); ``SpawnWorker`` starts a fresh interpreter that imports the
application; ``SimpleWorker`` runs every job in its own process on one container.
SpawnWorker gets ``--spawn-jobs`` jobs (it is two orders of magnitude slower). Rounds
alternate the order of the classes; medians are reported. Every run checks that each
item got exactly one run (``duplicates``, ``missing``); the exit status is 1 if any did
not. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from _scratch import scratch_database
from rq import Queue
from rq.job import Job
from rq.utils import import_attribute
from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT
from manyfutures.adapters.rq.queues import GENERATION
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
from manyfutures.entrypoints.worker import run_worker
from manyfutures.settings import Settings

CLASSES = ("rq.Worker", "rq.SpawnWorker", "rq.SimpleWorker")
NOOP = "noop"
ORG, USER = "org_bench", "user_bench"
RUNS = text(
    "SELECT count(*) AS runs, count(DISTINCT queue_item_id) AS items, "
    "min(started_at) AS first, max(started_at) AS last "
    "FROM generation_runs WHERE queue_item_id = ANY(:ids)"
)


@dataclass(frozen=True)
class Measured:
    worker_class: str
    jobs: int
    jobs_per_s: float
    duplicates: int
    missing: int
    # RQ's own cost per job on this class: a job that does nothing (os.getpid).
    noop_jobs_per_s: float


@contextmanager
def redis_url() -> Iterator[str]:
    configured = os.environ.get("MANYFUTURES_BENCH_REDIS_URL")
    if configured:
        if any(redis.Redis.from_url(configured).scan_iter("rq:*", count=100)):
            raise SystemExit(f"{configured} holds RQ keys; give the bench an empty database")
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server to start; set MANYFUTURES_BENCH_REDIS_URL")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def environment(app_url: str, redis: str) -> dict[str, str]:
    """Production settings, with leases long enough that nothing is claimed twice while the
    slowest class works through its queue."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MANYFUTURES_")}
    return {
        **inherited,
        "MANYFUTURES_STORAGE": "postgres",
        # Loopback-only bench: a fixed secret signs its unsubscribe links.
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "bench-unsubscribe-secret-0123456789abcdef",
        "MANYFUTURES_APP_DATABASE_URL": app_url,
        "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        "MANYFUTURES_DISPATCHER": "rq",
        "MANYFUTURES_REDIS_URL": redis,
        "MANYFUTURES_GENERATOR": "simulated",
        "MANYFUTURES_START_LEASE_SECONDS": "3600",
        "MANYFUTURES_GENERATION_DEADLINE_SECONDS": "3600",
        "MANYFUTURES_LOG_LEVEL": "WARNING",
    }


def due_items(container: Container, actor: Actor, count: int) -> list[str]:
    """``count`` projects due now, claimed and enqueued by one tick; their item ids."""
    create = container.projects.create_project()
    project_ids = [
        create(CreateProjectCommand(actor, f"Topic {n}", "Brief", deliver_first_now=True)).id
        for n in range(count)
    ]
    report = container.scheduling.scheduler_tick()()
    assert report.items_dispatched == count, report
    item_ids = []
    with container.adapters.uow_factory()(ORG) as uow:
        for project_id in project_ids:
            item_ids.extend(i.id for i in uow.queue.list_for_project(project_id) if i.attempt_count)
    return item_ids


def measure(
    worker_class: str, item_ids: list[str], noop_jobs: int, env: dict[str, str], engine: Engine
) -> Measured:
    connection = redis.Redis.from_url(env["MANYFUTURES_REDIS_URL"])
    noop = Queue(NOOP, connection=connection)
    noops = [noop.enqueue(os.getpid) for _ in range(noop_jobs)]
    for queue in (GENERATION, NOOP):
        subprocess.run(
            [sys.executable, __file__, "--work", worker_class, "--queue", queue],
            env=env,
            check=True,
            cwd=Path.cwd(),
        )
    with engine.begin() as database:
        database.execute(SET_TENANT, {"org": ORG})
        row = database.execute(RUNS, {"ids": item_ids}).one()
    started = sorted(Job.fetch(job.id, connection=connection).started_at for job in noops)
    noop.empty()
    return Measured(
        worker_class.rsplit(".", 1)[-1],
        len(item_ids),
        per_second(len(item_ids), (row.last - row.first).total_seconds()),
        row.runs - row.items,
        len(item_ids) - row.items,
        per_second(noop_jobs, (started[-1] - started[0]).total_seconds()),
    )


def per_second(jobs: int, first_to_last_start: float) -> float:
    """``jobs - 1`` intervals between the first job's start and the last one's."""
    return round((jobs - 1) / first_to_last_start, 1)


def work(worker_class: str, queue: str) -> None:
    """In a process of its own: one burst worker of the class on one queue."""
    run_worker(
        Settings.from_env(os.environ),
        [queue],
        burst=True,
        worker_class=import_attribute(worker_class),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--spawn-jobs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        work(args.work, args.queue)
        return 0
    runs: list[Measured] = []
    with scratch_database("manyfutures_rq") as scratch, redis_url() as url:
        app_url = scratch.app_url.render_as_string(hide_password=False)
        env = environment(app_url, url)
        container = build_container(Settings.from_env(env))
        container.identity.sync_user()(SyncUserCommand(USER, "bench@example.org", "Bench"))
        container.identity.sync_membership()(
            SyncMembershipCommand(ORG, ORG, USER, "bench@example.org", "Bench", Role.ADMIN)
        )
        actor = Actor(USER, ORG, Role.ADMIN)
        # A plan with room for every round's projects, and a limit the cost gate's
        # reservations (£1.50 each) never reach.
        container.identity.set_plan()(
            SetPlanCommand(
                ORG,
                max_active_projects=MAX_ACTIVE_PROJECTS_CAP,
                daily_limit_ceiling_gbp=str(MAX_DAILY_COST_LIMIT_GBP),
            )
        )
        container.identity.update_organization()(
            UpdateOrganizationCommand(actor, daily_cost_limit_gbp=str(MAX_DAILY_COST_LIMIT_GBP))
        )
        engine = create_app_engine(scratch.app_url, PoolOptions(size=1))
        connection = redis.Redis.from_url(url)
        try:
            for round_number in range(args.rounds):
                order = CLASSES if round_number % 2 == 0 else tuple(reversed(CLASSES))
                for worker_class in order:
                    count = args.spawn_jobs if worker_class == "rq.SpawnWorker" else args.jobs
                    item_ids = due_items(container, actor, count)
                    measured = measure(worker_class, item_ids, count, env, engine)
                    Queue("simulation", connection=connection).empty()
                    runs.append(measured)
                    print(
                        f"round {round_number + 1} {measured.worker_class:>12}: "
                        f"{measured.jobs_per_s:8.1f} jobs/s over {measured.jobs} jobs "
                        f"(duplicates {measured.duplicates}, missing {measured.missing}); "
                        f"RQ's no-op job {measured.noop_jobs_per_s:8.1f}/s",
                        flush=True,
                    )
        finally:
            engine.dispose()
            container.adapters.postgres_engine().dispose()
    names = ("Worker", "SpawnWorker", "SimpleWorker")
    medians = {
        name: round(statistics.median(m.jobs_per_s for m in runs if m.worker_class == name), 1)
        for name in names
    }
    noop = {
        name: round(statistics.median(m.noop_jobs_per_s for m in runs if m.worker_class == name), 1)
        for name in names
    }
    fastest = max(medians, key=lambda name: medians[name])
    duplicates = sum(m.duplicates for m in runs)
    missing = sum(m.missing for m in runs)
    print(f"medians (jobs/s): {medians}; RQ's no-op job: {noop}; fastest: {fastest}")
    print(
        json.dumps(
            {
                "worker_jobs_per_s": medians["Worker"],
                "spawn_worker_jobs_per_s": medians["SpawnWorker"],
                "simple_worker_jobs_per_s": medians["SimpleWorker"],
                "worker_noop_jobs_per_s": noop["Worker"],
                "spawn_worker_noop_jobs_per_s": noop["SpawnWorker"],
                "simple_worker_noop_jobs_per_s": noop["SimpleWorker"],
                "fastest": fastest,
                "simple_to_worker_ratio": round(medians["SimpleWorker"] / medians["Worker"], 2),
                "jobs": args.jobs,
                "spawn_jobs": args.spawn_jobs,
                "rounds": args.rounds,
                "runs": [m.__dict__ for m in runs],
                "duplicates": duplicates,
                "missing": missing,
            }
        )
    )
    return 1 if duplicates or missing else 0


if __name__ == "__main__":
    sys.exit(main())
