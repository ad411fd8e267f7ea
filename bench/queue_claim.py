"""Queue claiming throughput: our SKIP LOCKED claim against pgqueuer's, on the same server.

    .venv/bin/pip install -e '.[bench]'      # pgqueuer is a bench-only dependency
    .venv/bin/python bench/queue_claim.py    # ~2 minutes on a 2-core machine

Both sides get the same shape of work: 20 000 claimable rows, 5 worker
*processes* (one connection each, released together by a barrier), batches of
10, each worker looping until a claim comes back empty. Ours is in its own
throwaway database (bench/_scratch.py, on ``MANYFUTURES_BENCH_DATABASE_URL``; 20 000
due items in ``episode_schedule_queue`` spread over 50 organizations); pgqueuer is
in another one on the same server, dropped with it, over psycopg 3 like ours.
Every mode starts from a freshly loaded queue on both sides.

Headline — **claim vs claim** (``ours_per_s``, ``peer_per_s``, ``ratio``):

* **ours** — ``PostgresSchedulerGateway.claim_due_items(batch_size=10)``, the
  production path: the app role (RLS on), the gateway's dedicated autocommit
  connection, one claiming statement (``scheduler_claim_due_items``: UPDATE … FROM
  (SELECT … FOR UPDATE SKIP LOCKED) … RETURNING), rows mapped to domain objects.
  Items become ``processing`` with a 15-minute lease.
* **pgqueuer** — ``Queries.dequeue(batch_size=10, …)``, the batch claim its
  ``QueueManager`` runs: one autocommit statement that locks queued jobs with
  FOR UPDATE SKIP LOCKED, marks them ``picked`` and logs the pick, rows
  validated into ``Job`` models. Heartbeat timeout 15 minutes, so, like our
  lease, no job is re-picked during the run. Nothing is acknowledged.

Secondary — **drain vs drain** (``ours_drain_per_s``, ``peer_drain_per_s``,
``drain_ratio``): claim a batch, then finish the whole batch in one statement.

* **ours** — the claim above, then ``bench_complete_items(ids, now)``: a
  bench-local SQL function (created here, not part of the schema) that marks the
  batch ``completed`` in one UPDATE. It mirrors what finishing a batch costs at
  the storage level; it is *not* how production completes items (see below). It
  is SECURITY DEFINER owned by the bench's owner role so one statement can cross
  organizations, so that role must bypass RLS (the default local ``postgres``
  superuser does).
* **pgqueuer** — ``Queries.dequeue`` then ``Queries.log_jobs`` with every job of
  the batch ``successful``: one statement that deletes the batch and writes its
  log rows (what its ``QueueManager`` does, minus buffering and dispatch).

Context, one run each:

* **ours, claim + complete through the unit of work**
  (``ours_claim_and_complete_uow_per_s``): each claimed item is completed the
  way production does, through ``PostgresUnitOfWorkFactory`` scoped to its
  organization (one transaction per organization per batch; a batch of 10 here
  spans 10).
* **pgqueuer, QueueManager drain** (``peer_qm_drain_per_s``): 5 processes
  running ``QueueManager.run(mode=drain, batch_size=10)`` with a no-op entrypoint
  (dequeue, dispatch, buffered ack).

The claim and drain modes run ``--repeat`` rounds (default 3), alternating which
side goes first; the medians are reported. Timing starts when all workers of a
run are connected and released together, and ends when the last one finds
nothing left; process start-up, imports and loading are not timed. Every run
counts duplicate claims (an id handed to two workers) and missing ones (loaded
but never claimed), and checks the rows left behind (ours all ``processing`` or
``completed``; pgqueuer's all ``picked``, or gone once acked); the exit status is
1 if any run, on either side, fails one of these. The ratio is reported, not
enforced. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version as package_version
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from _scratch import add_organizations, scratch_database, tenant_ids
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine, create_owner_engine
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT, PostgresUnitOfWorkFactory
from manyfutures.core.scheduling.queue import ScheduleQueueItem

ORGANIZATIONS = 50
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 3
TARGET_RATIO = 1.2
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ENTRYPOINT = "bench"

# claimed ids, start, end, error (a worker's traceback, or None)
WorkerResult = tuple[list[str], float, float, str | None]

OURS_CLAIM, OURS_DRAIN, OURS_UOW = "claim", "drain", "uow"
PEER_CLAIM, PEER_DRAIN = "claim", "drain"


def _url(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# --- ours ---------------------------------------------------------------------------------


def _load_tenants(owner: URL, app: URL) -> None:
    """Organizations, one project and draft episode each; loaded once.

    The tenant is set before each organization's rows, so it works whether or not
    the owner bypasses RLS.
    """
    add_organizations(app, tenant_ids(ORGANIZATIONS), NOW)
    engine = create_owner_engine(owner)
    with engine.begin() as connection:
        for org_id in tenant_ids(ORGANIZATIONS):
            connection.execute(SET_TENANT, {"org": org_id})
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
    engine.dispose()


def _load_ours(owner: URL, items: int) -> None:
    """A fresh queue: truncate, then ``items`` due items with INSERT … SELECT generate_series.

    Item ``n`` belongs to organization ``n mod 50`` and is due ``n`` seconds before
    NOW, so consecutive claims walk across organizations.
    """
    engine = create_owner_engine(owner)
    with engine.begin() as connection:
        # CASCADE: generation_runs references the queue (empty here).
        connection.execute(text("TRUNCATE episode_schedule_queue CASCADE"))
        for org, org_id in enumerate(tenant_ids(ORGANIZATIONS)):
            connection.execute(SET_TENANT, {"org": org_id})
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
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE episode_schedule_queue"))
    engine.dispose()


def _create_complete_helper(owner: URL, app_role: str) -> None:
    """``bench_complete_items(ids, now)``: the bench's one-statement batch completion.

    Bench-local (this database only). SECURITY DEFINER owned by the owner role so
    one statement may complete a batch spanning organizations; production instead
    completes each item in a unit of work scoped to its organization.
    """
    engine = create_owner_engine(owner)
    with engine.begin() as connection:
        bypasses = connection.execute(
            text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).scalar_one()
        if not bypasses:
            raise RuntimeError(
                "the drain mode's bench_complete_items needs an owner role that bypasses RLS "
                "(superuser or BYPASSRLS), e.g. the local postgres superuser"
            )
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(
            text(
                f"""
                CREATE FUNCTION bench_complete_items(p_ids text[], p_now timestamptz)
                RETURNS integer
                LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = "{schema}", pg_temp
                AS $$
                    WITH done AS (
                        UPDATE episode_schedule_queue
                           SET status = 'completed', completed_at = p_now,
                               lease_expires_at = NULL
                         WHERE id = ANY(p_ids) AND status = 'processing'
                        RETURNING 1
                    )
                    SELECT count(*)::integer FROM done
                $$
                """
            )
        )
        connection.execute(
            text("REVOKE ALL ON FUNCTION bench_complete_items(text[], timestamptz) FROM PUBLIC")
        )
        connection.execute(
            text(
                f"GRANT EXECUTE ON FUNCTION bench_complete_items(text[], timestamptz) TO {app_role}"
            )
        )
    engine.dispose()


_COMPLETE_BATCH = text("SELECT bench_complete_items(:ids, :now)")


def _complete_batch(engine: Engine, batch: Sequence[ScheduleQueueItem]) -> None:
    """Drain mode: the whole batch completed in one statement (one transaction)."""
    ids = [item.id for item in batch]
    with engine.begin() as connection:
        done = connection.execute(_COMPLETE_BATCH, {"ids": ids, "now": NOW}).scalar_one()
    if done != len(ids):
        raise RuntimeError(f"bench_complete_items completed {done} of {len(ids)} items")


def _complete_uow(factory: PostgresUnitOfWorkFactory, batch: Sequence[ScheduleQueueItem]) -> None:
    """Production completion: per item, in a unit of work scoped to its organization."""
    by_org: dict[str, list[ScheduleQueueItem]] = defaultdict(list)
    for item in batch:
        by_org[item.organization_id].append(item)
    for org, items in by_org.items():
        with factory(org) as uow:
            for item in items:
                item.complete(NOW)
                uow.queue.update(item)
            uow.commit()


def _ours_worker(
    url: str,
    batch_size: int,
    mode: str,
    start: Barrier,
    results: Queue[WorkerResult],
) -> None:
    claimed: list[str] = []
    began = ended = 0.0
    try:
        engine = create_app_engine(url, PoolOptions(size=2, max_overflow=0))
        gateway = PostgresSchedulerGateway(engine)
        factory = PostgresUnitOfWorkFactory(engine)
        with engine.connect():
            pass  # connect before the clock starts, like a long-running worker
        start.wait()
        began = time.monotonic()
        while True:
            batch = gateway.claim_due_items(NOW, LEASE, batch_size, MAX_ATTEMPTS)
            if not batch:
                break
            claimed.extend(item.id for item in batch)
            if mode == OURS_DRAIN:
                _complete_batch(engine, batch)
            elif mode == OURS_UOW:
                _complete_uow(factory, batch)
        ended = time.monotonic()
        engine.dispose()
    except BaseException:
        start.abort()  # release the others so the run fails instead of hanging
        results.put((claimed, began, ended, traceback.format_exc()))
        raise
    results.put((claimed, began, ended, None))


def _count_ours(owner: URL) -> dict[str, int]:
    engine = create_owner_engine(owner)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM episode_schedule_queue GROUP BY status")
        ).all()
    engine.dispose()
    return {str(status): int(n) for status, n in rows}


# --- pgqueuer -----------------------------------------------------------------------------


def _pgqueuer_dsn(url: URL) -> str:
    return _url(url.set(drivername="postgresql"))


async def _install_peer(dsn: str) -> None:
    import psycopg
    from pgqueuer.queries import Queries

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        await Queries.from_psycopg_connection(connection).install()


async def _load_peer(dsn: str, jobs: int) -> None:
    """A fresh queue: truncate pgqueuer's queue and log tables, enqueue ``jobs`` jobs."""
    import psycopg
    from pgqueuer.queries import Queries

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        queries = Queries.from_psycopg_connection(connection)
        settings = queries.qbe.settings
        await connection.execute(f"TRUNCATE {settings.queue_table}, {settings.queue_table_log}")
        for offset in range(0, jobs, 1000):
            size = min(1000, jobs - offset)
            await queries.enqueue([ENTRYPOINT] * size, [None] * size, [0] * size)
        await connection.execute(f"VACUUM ANALYZE {settings.queue_table}")


async def _peer_count(dsn: str) -> dict[str, int]:
    import psycopg
    from pgqueuer.queries import Queries

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        table = Queries.from_psycopg_connection(connection).qbe.settings.queue_table
        cursor = await connection.execute(
            f"SELECT status::text, count(*) FROM {table} GROUP BY status"
        )
        return {str(status): int(n) for status, n in await cursor.fetchall()}


async def _peer_consume(dsn: str, batch_size: int, mode: str, start: Barrier) -> WorkerResult:
    """``Queries.dequeue`` in a loop; in drain mode each batch is then acked with log_jobs."""
    import psycopg
    from pgqueuer.models import Job
    from pgqueuer.queries import EntrypointExecutionParameter, Queries
    from pgqueuer.types import JOB_STATUS, QueueEntrypoint, QueueManagerId

    claimed: list[str] = []
    entrypoints = {QueueEntrypoint(ENTRYPOINT): EntrypointExecutionParameter(concurrency_limit=0)}
    manager_id = QueueManagerId(uuid.uuid4())
    successful: JOB_STATUS = "successful"
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        queries = Queries.from_psycopg_connection(connection)
        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        began = time.monotonic()
        while True:
            jobs: list[Job] = await queries.dequeue(
                batch_size=batch_size,
                entrypoints=entrypoints,
                queue_manager_id=manager_id,
                global_concurrency_limit=None,
                heartbeat_timeout=LEASE,
            )
            if not jobs:
                break
            claimed.extend(str(job.id) for job in jobs)
            if mode == PEER_DRAIN:
                await queries.log_jobs([(job, successful, None) for job in jobs])
        ended = time.monotonic()
    return claimed, began, ended, None


async def _peer_qm_drain(dsn: str, batch_size: int, start: Barrier) -> WorkerResult:
    import psycopg
    from pgqueuer.models import Job
    from pgqueuer.qm import QueueManager
    from pgqueuer.queries import Queries
    from pgqueuer.types import QueueExecutionMode

    done: list[str] = []
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        manager = QueueManager(Queries.from_psycopg_connection(connection))

        @manager.entrypoint(ENTRYPOINT)
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
    return done, began, ended, None


def _peer_worker(
    dsn: str, batch_size: int, mode: str, start: Barrier, results: Queue[WorkerResult]
) -> None:
    try:
        if mode == "qm":
            result = asyncio.run(_peer_qm_drain(dsn, batch_size, start))
        else:
            result = asyncio.run(_peer_consume(dsn, batch_size, mode, start))
    except BaseException:
        start.abort()  # release the others so the run fails instead of hanging
        results.put(([], 0.0, 0.0, traceback.format_exc()))
        raise
    results.put(result)


# --- running and counting -----------------------------------------------------------------


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
    errors = [error for _, _, _, error in collected if error]
    for process in processes:
        process.join(60)
    if errors:
        raise RuntimeError("a worker failed:\n" + errors[0])
    for process in processes:
        if process.exitcode != 0:
            raise RuntimeError(f"a worker exited with {process.exitcode}")
    return collected


def _summarise(results: list[WorkerResult], expected: int) -> dict[str, Any]:
    ids = [item for claimed, _, _, _ in results for item in claimed]
    counts = Counter(ids)
    seconds = max(ended for _, _, ended, _ in results) - min(began for _, began, _, _ in results)
    return {
        "seconds": round(seconds, 3),
        "per_s": round(len(counts) / seconds, 1),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "missing": expected - len(counts),
        "per_worker": [len(claimed) for claimed, _, _, _ in results],
    }


class Runs:
    """Every run's summary, by label, for medians and the duplicate/missing totals."""

    def __init__(self) -> None:
        self.by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(
        self, label: str, summary: dict[str, Any], after: dict[str, int], expected: dict[str, int]
    ) -> None:
        """``after``: rows per status once the run is over; anything but ``expected`` fails."""
        summary = {**summary, "rows_after": after, "rows_as_expected": after == expected}
        self.by_label[label].append(summary)
        print(f"{label:<44}: {summary['per_s']:>9.1f} /s  {summary}", flush=True)

    def unexpected_rows(self, labels: Sequence[str]) -> int:
        return sum(not run["rows_as_expected"] for label in labels for run in self.by_label[label])

    def median(self, label: str) -> float:
        return round(statistics.median(run["per_s"] for run in self.by_label[label]), 1)

    def rates(self, label: str) -> list[float]:
        return [run["per_s"] for run in self.by_label[label]]

    def total(self, key: str, labels: Sequence[str]) -> int:
        return sum(run[key] for label in labels for run in self.by_label[label])


def _ratio(ours: float, theirs: float) -> float:
    return round(ours / theirs, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the claim/drain modes")
    args = parser.parse_args()
    try:
        peer_version = package_version("pgqueuer")
    except ImportError:
        print("pgqueuer is missing: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    runs = Runs()
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    n, workers, batch = args.items, args.workers, args.batch
    with scratch_database("manyfutures_bench", peers=["pgqueuer_bench"]) as scratch:
        pg_version = scratch.server_version
        owner = scratch.owner_url
        app = _url(scratch.app_url)
        _load_tenants(owner, scratch.app_url)
        _create_complete_helper(owner, scratch.app_role)
        (peer_url,) = scratch.peer_urls
        dsn = _pgqueuer_dsn(peer_url)
        asyncio.run(_install_peer(dsn))
        print(
            f"PostgreSQL {pg_version}; pgqueuer {peer_version}; {n} items, {workers} worker "
            f"processes, batch {batch}, {args.repeat} rounds of claim and drain",
            flush=True,
        )

        def ours(label: str, mode: str) -> None:
            _load_ours(owner, n)
            summary = _summarise(_run_processes(_ours_worker, (app, batch, mode), workers), n)
            expected = {"processing" if mode == OURS_CLAIM else "completed": n}
            runs.add(label, summary, _count_ours(owner), expected)

        def peer(label: str, mode: str) -> None:
            asyncio.run(_load_peer(dsn, n))
            summary = _summarise(_run_processes(_peer_worker, (dsn, batch, mode), workers), n)
            # Acknowledged jobs leave pgqueuer's queue table (their log rows remain).
            expected = {"picked": n} if mode == PEER_CLAIM else {}
            runs.add(label, summary, asyncio.run(_peer_count(dsn)), expected)

        pairs: list[tuple[Callable[[], None], Callable[[], None]]] = [
            (
                lambda: ours("ours claim (gateway)", OURS_CLAIM),
                lambda: peer("pgqueuer claim (Queries.dequeue)", PEER_CLAIM),
            ),
            (
                lambda: ours("ours drain (claim + 1-statement complete)", OURS_DRAIN),
                lambda: peer("pgqueuer drain (dequeue + log_jobs)", PEER_DRAIN),
            ),
        ]
        for round_ in range(args.repeat):
            for first, second in pairs:
                if round_ % 2:
                    first, second = second, first
                first()
                second()
        ours("ours claim + complete via unit of work", OURS_UOW)
        peer("pgqueuer drain (QueueManager, drain mode)", "qm")

    ours_claim = runs.median("ours claim (gateway)")
    peer_claim = runs.median("pgqueuer claim (Queries.dequeue)")
    ours_drain = runs.median("ours drain (claim + 1-statement complete)")
    peer_drain = runs.median("pgqueuer drain (dequeue + log_jobs)")
    ours_uow = runs.median("ours claim + complete via unit of work")
    peer_qm = runs.median("pgqueuer drain (QueueManager, drain mode)")
    ours_labels = [label for label in runs.by_label if label.startswith("ours")]
    peer_labels = [label for label in runs.by_label if label.startswith("pgqueuer")]
    summary = {
        "bench": "queue_claim",
        "postgres": pg_version,
        "peer": f"pgqueuer {peer_version}",
        "items": n,
        "workers": workers,
        "worker_kind": "process",
        "batch": batch,
        "rounds": args.repeat,
        "cpus": os.cpu_count(),
        "load_avg_1m": [load_before, round(os.getloadavg()[0], 2)],
        "ours_per_s": ours_claim,
        "peer_per_s": peer_claim,
        "ratio": _ratio(ours_claim, peer_claim),
        "target_ratio": TARGET_RATIO,
        "compared": "claim vs claim: gateway.claim_due_items vs pgqueuer Queries.dequeue",
        "ours_per_s_runs": runs.rates("ours claim (gateway)"),
        "peer_per_s_runs": runs.rates("pgqueuer claim (Queries.dequeue)"),
        "ours_drain_per_s": ours_drain,
        "peer_drain_per_s": peer_drain,
        "drain_ratio": _ratio(ours_drain, peer_drain),
        "drain_compared": (
            "claim + bench-local one-statement batch completion (not the production path) "
            "vs pgqueuer Queries.dequeue + Queries.log_jobs(successful), one ack per batch"
        ),
        "ours_claim_and_complete_uow_per_s": ours_uow,
        "peer_qm_drain_per_s": peer_qm,
        "duplicates": runs.total("duplicates", ours_labels),
        "missing": runs.total("missing", ours_labels),
        "peer_duplicates": runs.total("duplicates", peer_labels),
        "peer_missing": runs.total("missing", peer_labels),
        "unexpected_final_rows": runs.unexpected_rows([*ours_labels, *peer_labels]),
    }
    print(
        f"claim  ours/pgqueuer: {summary['ratio']} (target >= {TARGET_RATIO})\n"
        f"drain  ours/pgqueuer: {summary['drain_ratio']} (ours completes each batch with a "
        "bench-local one-statement SQL helper; production completes per item through a "
        f"tenant-scoped unit of work: {ours_uow}/s)\n"
        f"duplicates ours {summary['duplicates']}, pgqueuer {summary['peer_duplicates']}; "
        f"missing ours {summary['missing']}, pgqueuer {summary['peer_missing']}",
        flush=True,
    )
    print(json.dumps(summary))
    failures = ("duplicates", "missing", "peer_duplicates", "peer_missing", "unexpected_final_rows")
    return 1 if any(summary[key] for key in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
