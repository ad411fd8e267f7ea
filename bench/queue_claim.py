"""Queue claiming throughput: our SKIP LOCKED claim against pgqueuer, on the same server.

    .venv/bin/pip install -e '.[bench]'      # pgqueuer is a bench-only dependency
    .venv/bin/python bench/queue_claim.py    # ~1 minute on a 2-core machine

What is measured (printed figures, not a timed test):

* **ours** — 20 000 due items in ``episode_schedule_queue`` (spread over 50
  organizations), drained by 5 worker processes that each call
  ``PostgresSchedulerGateway.claim_due_items(batch_size=10)`` until nothing is
  due. Every call is the production path: the app role, one transaction, one
  statement (``scheduler_claim_due_items``: UPDATE … FROM (SELECT … FOR UPDATE SKIP
  LOCKED) … RETURNING), mapped to domain objects. Duplicate claims are counted
  and must be 0.
* **ours, claim + complete** — the same, and each claimed item is then marked
  completed through the unit of work (one transaction per organization per
  batch), which is what a worker finishing work costs on our side.
* **theirs** — 20 000 jobs drained by 5 processes running pgqueuer's
  ``QueueManager`` in drain mode with ``batch_size=10`` and a no-op entrypoint
  (pgqueuer dequeues, runs, and acknowledges — deletes — each job), in its own
  database on the same server, over psycopg like ours.

The headline ratio compares *ours* (claim) with *theirs* (pgqueuer's full
drain, the only way its public API drains a queue); the claim + complete figure
is printed beside it so the comparison is not read as more than it is.
Timing starts when all workers of a run are connected and released together by
a barrier, and ends when the last one finds nothing left; process start-up,
imports and loading the queue are not timed. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import (
    PoolOptions,
    create_app_engine,
    create_owner_engine,
    normalize_url,
)
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.scheduling.queue import ScheduleQueueItem

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ORGANIZATIONS = 50
LEASE = timedelta(minutes=15)
TARGET_RATIO = 1.2
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

WorkerResult = tuple[list[str], float, float]


def _url(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# --- ours ---------------------------------------------------------------------------------


def _load_ours(owner: URL, items: int) -> None:
    """Organizations, one project and draft each, and ``items`` due queue items.

    Loaded with INSERT … SELECT generate_series, one organization per transaction
    with the tenant set, so it works whether or not the owner bypasses RLS.
    """
    engine = create_owner_engine(owner)
    with engine.begin() as connection:
        for org in range(ORGANIZATIONS):
            org_id = f"org_{org:03d}"
            connection.execute(
                text("SELECT set_config('app.current_org_id', :org, true)"), {"org": org_id}
            )
            connection.execute(
                text(
                    "INSERT INTO organizations (id, name, daily_cost_limit_gbp, created_at, "
                    "updated_at) VALUES (:org, :org, 50, :now, :now)"
                ),
                {"org": org_id, "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO projects (id, organization_id, created_by, title, "
                    "onboarding_brief, cadence_mode, cadence_days, cadence_delivery_time, "
                    "cadence_timezone, status, memory_storage, version, created_at, updated_at) "
                    "VALUES ('proj_' || :org, :org, 'user_1', 'T', 'B', 'daily', "
                    "'{0,1,2,3,4,5,6}', '09:00', 'UTC', 'ACTIVE', 'json', 1, :now, :now)"
                ),
                {"org": org_id, "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO episodes (id, organization_id, project_id, status, "
                    "scheduled_for, generation_attempts, progress_percent, created_at, "
                    "updated_at) VALUES ('ep_' || :org, :org, 'proj_' || :org, 'DRAFT', :now, "
                    "0, 0, :now, :now)"
                ),
                {"org": org_id, "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO episode_schedule_queue (id, organization_id, project_id, "
                    "episode_id, scheduled_for, available_at, status, attempt_count, "
                    "created_at) "
                    "SELECT 'queue_' || lpad(n::text, 6, '0'), :org, 'proj_' || :org, "
                    "'ep_' || :org, :now - n * interval '1 second', "
                    "    :now - n * interval '1 second', 'pending', 0, :now "
                    "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer), "
                    "    CAST(:step AS integer)) AS n"
                ),
                {"org": org_id, "now": NOW, "first": org + 1, "last": items, "step": ORGANIZATIONS},
            )
        connection.execute(text("ANALYZE"))
    engine.dispose()


def _ours_worker(
    url: str,
    batch_size: int,
    complete: bool,
    start: Barrier,
    results: Queue[WorkerResult],
) -> None:
    engine = create_app_engine(url, PoolOptions(size=2, max_overflow=0))
    gateway = PostgresSchedulerGateway(engine)
    factory = PostgresUnitOfWorkFactory(engine)
    with engine.connect():
        pass  # connect before the clock starts, like a long-running worker
    claimed: list[str] = []
    start.wait()
    began = time.monotonic()
    while True:
        batch = gateway.claim_due_items(NOW, LEASE, batch_size, 3)
        if not batch:
            break
        claimed.extend(item.id for item in batch)
        if complete:
            _complete(factory, batch)
    ended = time.monotonic()
    engine.dispose()
    results.put((claimed, began, ended))


def _complete(factory: PostgresUnitOfWorkFactory, batch: Sequence[ScheduleQueueItem]) -> None:
    by_org: dict[str, list[ScheduleQueueItem]] = defaultdict(list)
    for item in batch:
        by_org[item.organization_id].append(item)
    for org, items in by_org.items():
        with factory(org) as uow:
            for item in items:
                item.complete(NOW)
                uow.queue.update(item)
            uow.commit()


def _run_processes(target: Any, args: tuple[Any, ...], workers: int) -> list[WorkerResult]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers)
    results: Queue[WorkerResult] = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, start, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(60)
        if process.exitcode != 0:
            raise RuntimeError(f"a worker exited with {process.exitcode}")
    return collected


def _summarise(results: list[WorkerResult], expected: int) -> dict[str, Any]:
    ids = [item for claimed, _, _ in results for item in claimed]
    counts = Counter(ids)
    seconds = max(ended for _, _, ended in results) - min(began for _, began, _ in results)
    return {
        "seconds": round(seconds, 3),
        "per_s": round(len(counts) / seconds, 1),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "missing": expected - len(counts),
        "per_worker": [len(claimed) for claimed, _, _ in results],
    }


def _reset_ours(owner: URL) -> None:
    engine = create_owner_engine(owner)
    with engine.begin() as connection:
        for org in range(ORGANIZATIONS):
            connection.execute(
                text("SELECT set_config('app.current_org_id', :org, true)"),
                {"org": f"org_{org:03d}"},
            )
            connection.execute(
                text(
                    "UPDATE episode_schedule_queue SET status = 'pending', attempt_count = 0, "
                    "picked_up_at = NULL, last_attempt_at = NULL, lease_expires_at = NULL, "
                    "completed_at = NULL WHERE organization_id = :org"
                ),
                {"org": f"org_{org:03d}"},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE episode_schedule_queue"))
    engine.dispose()


# --- theirs -------------------------------------------------------------------------------


def _pgqueuer_dsn(url: URL) -> str:
    return _url(url.set(drivername="postgresql"))


async def _load_theirs(dsn: str, jobs: int) -> None:
    import psycopg
    from pgqueuer.queries import Queries

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        queries = Queries.from_psycopg_connection(connection)
        await queries.install()
        for offset in range(0, jobs, 1000):
            size = min(1000, jobs - offset)
            await queries.enqueue(["bench"] * size, [None] * size, [0] * size)
        await connection.execute("ANALYZE")


async def _theirs_consume(dsn: str, batch_size: int, start: Barrier) -> WorkerResult:
    import psycopg
    from pgqueuer.models import Job
    from pgqueuer.qm import QueueManager
    from pgqueuer.queries import Queries
    from pgqueuer.types import QueueExecutionMode

    done: list[str] = []
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        manager = QueueManager(Queries.from_psycopg_connection(connection))

        @manager.entrypoint("bench")
        async def bench(job: Job) -> None:
            done.append(str(job.id))

        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        began = time.monotonic()
        await manager.run(
            batch_size=batch_size,
            mode=QueueExecutionMode.drain,
            dequeue_timeout=timedelta(seconds=0.2),
        )
        ended = time.monotonic()
    return done, began, ended


def _theirs_worker(dsn: str, batch_size: int, start: Barrier, results: Queue[WorkerResult]) -> None:
    results.put(asyncio.run(_theirs_consume(dsn, batch_size, start)))


# --- the run ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    try:
        import pgqueuer  # noqa: F401
    except ImportError:
        print("pgqueuer is missing: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    server = normalize_url(os.environ.get("MANYFUTURES_BENCH_DATABASE_URL") or DEFAULT_SERVER)
    token = secrets.token_hex(4)
    ours_db, theirs_db = f"manyfutures_bench_{token}", f"pgqueuer_bench_{token}"
    app_role, scheduler_role = f"bench_app_{token}", f"bench_scheduler_{token}"
    password = secrets.token_urlsafe(16)
    admin = create_owner_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one()
        connection.execute(text(f'CREATE DATABASE "{ours_db}"'))
        connection.execute(text(f'CREATE DATABASE "{theirs_db}"'))
    try:
        owner = server.set(database=ours_db)
        upgrade(alembic_config(_url(owner), app_role=app_role, scheduler_role=scheduler_role))
        with admin.connect() as connection:
            connection.execute(text(f"ALTER ROLE {app_role} PASSWORD '{password}'"))
        app = _url(owner.set(username=app_role, password=password))
        print(
            f"PostgreSQL {version}; {args.items} items, {args.workers} workers, batch {args.batch}"
        )

        _load_ours(owner, args.items)
        ours = _summarise(
            _run_processes(_ours_worker, (app, args.batch, False), args.workers), args.items
        )
        print(f"ours   claim            : {ours['per_s']:>9.1f} items/s  {ours}")

        _reset_ours(owner)
        ours_done = _summarise(
            _run_processes(_ours_worker, (app, args.batch, True), args.workers), args.items
        )
        print(f"ours   claim + complete : {ours_done['per_s']:>9.1f} items/s  {ours_done}")

        dsn = _pgqueuer_dsn(server.set(database=theirs_db))
        asyncio.run(_load_theirs(dsn, args.items))
        theirs = _summarise(
            _run_processes(_theirs_worker, (dsn, args.batch), args.workers), args.items
        )
        print(f"pgqueuer drain          : {theirs['per_s']:>9.1f} jobs/s   {theirs}")
    finally:
        with admin.connect() as connection:
            for name in (ours_db, theirs_db):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app_role, scheduler_role):
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()

    ratio = round(ours["per_s"] / theirs["per_s"], 2)
    print(
        f"ratio ours/theirs: {ratio} (target >= {TARGET_RATIO}); duplicates: {ours['duplicates']}"
    )
    summary = {
        "bench": "queue_claim",
        "postgres": version,
        "items": args.items,
        "workers": args.workers,
        "batch": args.batch,
        "ours_per_s": ours["per_s"],
        "ours_claim_and_complete_per_s": ours_done["per_s"],
        "theirs_per_s": theirs["per_s"],
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "duplicates": ours["duplicates"] + ours_done["duplicates"],
        "missing": ours["missing"] + ours_done["missing"],
        "theirs_duplicates": theirs["duplicates"],
        "theirs_missing": theirs["missing"],
    }
    print(json.dumps(summary))
    return 0 if summary["duplicates"] == 0 and summary["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
