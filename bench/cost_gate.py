"""The cost gate: reserve-and-settle round trips at 1 000 and 1 000 000 usage rows, and
8 processes racing for one organization's budget.

    .venv/bin/python bench/cost_gate.py     # ~5-8 minutes on a 2-core machine, most of it
                                            # loading 1 000 000 rows through the trigger

A throwaway database (bench/_scratch.py, migrated as ``manyfutures db upgrade`` does),
reached as the app role, so row-level security is in force. Limits are set by the
bench: high enough (£1 000 000) that the round trips are never refused, and exactly
``RACE_LIMIT`` for the race.

* **Round trip**, the production path of one generation's money: a unit of work that
  reserves the run's ceiling (``reserve_for_run``: the organization's limit read, the
  day's row locked with one upsert, the reservation inserted) and commits; then a
  unit of work that records the run's usage (``token_usage.add_for_run``: one row,
  folded into ``token_usage_daily`` by its trigger) and settles the reservation
  (``settle_run_usage``), and commits. Two organizations: one with ``SMALL`` raw usage
  rows, one with ``LARGE`` (loaded through the trigger with ``INSERT … SELECT
  generate_series``, spread over the last 365 UTC days, ``CHUNK`` rows a
  transaction). They are timed in alternating slices of ``SLICE`` round trips, so
  the machine's drift (other work on a shared box) falls on both alike;
  ``ROUND_TRIPS`` each after a warm-up. The gate reads one day row whatever the
  ledger's size, so the ratio of the medians should stay near 1 (target ≤ 1.2).
* **Race**: 8 forked processes, each with its own engine, start together and each
  tries ``RACE_ATTEMPTS`` reservations of ``RESERVATION`` for one organization whose
  limit allows ``RACE_ALLOWED`` (no settlements). ``reservations_per_s`` is decisions
  (granted or refused) per second of wall time; ``granted`` and ``overshoot_gbp`` are
  counted from the database afterwards (``cost_reservations``), never from the
  processes' tallies, and the day row is checked against them.

The last line is one JSON object.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.synchronize import Barrier

from _scratch import add_organizations, scratch_database
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from manyfutures.adapters.clock import SystemClock
from manyfutures.adapters.ids import UlidGenerator
from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT, PostgresUnitOfWorkFactory
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs.model import Operation, TokenUsage
from manyfutures.core.generation.spending import reserve_for_run, settle_run_usage
from manyfutures.core.storage import StorageFactory

SMALL_ORG, LARGE_ORG, RACE_ORG = "org_small", "org_large", "org_race"
SMALL, LARGE = 1_000, 1_000_000
# Rows a load transaction: each day's aggregate row is updated once per row of that day,
# and versions of one row pile up inside a transaction, so big transactions crawl.
CHUNK = 10_000
ROUND_TRIPS, WARM_UP, SLICE = 2_000, 200, 100
RESERVATION = Decimal("1.50")
REPORTED = Decimal("0.0345")
PROCESSES, RACE_ATTEMPTS = 8, 250
RACE_LIMIT = Decimal("1500.00")
RACE_ALLOWED = int(RACE_LIMIT // RESERVATION)  # 1 000 of the 2 000 attempts
TARGET_RATIO = 1.2

LOAD = text(
    """
    INSERT INTO token_usage (id, organization_id, project_id, episode_id, operation, model,
        prompt_tokens, completion_tokens, cost_gbp, created_at)
    SELECT :org || '_load_' || lpad(n::text, 8, '0'), :org, 'proj_load',
           'ep_load_' || (n % 5000),
           (ARRAY['episode_generation', 'project_onboarding', 'chat'])[1 + n % 3], 'gpt-4o',
           100 + n % 900, 50 + n % 400, (n % 47 + 1) * 0.001,
           :now - (1 + n % 365) * interval '1 day' - (n % 3600) * interval '1 second'
      FROM generate_series(CAST(:first_n AS bigint), CAST(:last AS bigint)) AS n
    """
)


def _load(owner: Engine, org: str, rows: int, now: datetime) -> float:
    """Raw rows for ``org`` on earlier days, so today's budget starts empty."""
    began = time.monotonic()
    for start in range(1, rows + 1, CHUNK):
        with owner.begin() as connection:
            connection.execute(SET_TENANT, {"org": org})
            end = min(start + CHUNK - 1, rows)
            connection.execute(LOAD, {"org": org, "first_n": start, "last": end, "now": now})
    return time.monotonic() - began


def _set_limit(factory: StorageFactory, org: str, limit: Decimal) -> None:
    with factory(org) as uow:
        organization = uow.organizations.get()
        assert organization is not None
        organization.daily_cost_limit_gbp = limit
        uow.organizations.update(organization)
        uow.commit()


def _reserve(factory: StorageFactory, ids: UlidGenerator, org: str, run_id: str) -> bool:
    now = SystemClock().now()
    with factory(org) as uow:
        record = Recorder(uow, ids, None, now)
        granted = reserve_for_run(uow, ids, record, run_id, "ep_bench", RESERVATION, now)
        uow.commit()
        return granted


def _settle(factory: StorageFactory, ids: UlidGenerator, org: str, run_id: str) -> None:
    now = SystemClock().now()
    with factory(org) as uow:
        usage = TokenUsage(
            id=ids.new_id("usage"),
            organization_id=org,
            project_id="proj_bench",
            episode_id="ep_bench",
            operation=Operation.EPISODE_GENERATION,
            model="gpt-4o",
            prompt_tokens=1200,
            completion_tokens=800,
            cost_gbp=REPORTED,
            created_at=now,
            run_id=run_id,
        )
        assert uow.token_usage.add_for_run(run_id, [usage])
        settle_run_usage(uow, ids, run_id, [REPORTED], now)
        uow.commit()


def _round_trip(factory: StorageFactory, ids: UlidGenerator, org: str, n: int) -> float:
    run_id = f"run_{org}_{n:06d}"
    began = time.perf_counter()
    assert _reserve(factory, ids, org, run_id)
    _settle(factory, ids, org, run_id)
    return (time.perf_counter() - began) * 1000


def _round_trips(factory: StorageFactory) -> dict[str, list[float]]:
    """Alternating slices of each organization's round trips, after a warm-up of each."""
    ids = UlidGenerator()
    timings: dict[str, list[float]] = {SMALL_ORG: [], LARGE_ORG: []}
    count = dict.fromkeys(timings, 0)
    for org in timings:
        for _ in range(WARM_UP):
            _round_trip(factory, ids, org, count[org])
            count[org] += 1
    while len(timings[LARGE_ORG]) < ROUND_TRIPS:
        for org in timings:
            for _ in range(SLICE):
                timings[org].append(_round_trip(factory, ids, org, count[org]))
                count[org] += 1
    return timings


def _racer(url: str, number: int, start: Barrier, done: multiprocessing.Queue[int]) -> None:
    engine = create_app_engine(url, PoolOptions(size=1, max_overflow=0))
    factory: StorageFactory = PostgresUnitOfWorkFactory(engine)
    ids = UlidGenerator()
    granted = 0
    start.wait()
    try:
        for n in range(RACE_ATTEMPTS):
            granted += _reserve(factory, ids, RACE_ORG, f"run_race_{number}_{n:04d}")
    finally:
        engine.dispose()
        done.put(granted)


def _race(app_url: URL) -> tuple[float, int]:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES + 1)
    done: multiprocessing.Queue[int] = context.Queue()
    url = app_url.render_as_string(hide_password=False)
    processes = [
        context.Process(target=_racer, args=(url, number, start, done))
        for number in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.monotonic()
    # A racer that never reports loses its tally, not the run: the figures that count
    # come from the database afterwards (``_counted``).
    tallies = []
    for _ in processes:
        try:
            tallies.append(done.get(timeout=600))
        except queue.Empty:
            print("a racer did not report within 600 s; its tally is missing", flush=True)
            break
    elapsed = time.monotonic() - began
    for process in processes:
        process.join(30)
    return elapsed, sum(tallies)


def _counted(app: Engine) -> tuple[int, Decimal, Decimal]:
    """From the database: reservations granted, what they and settlements commit, the day."""
    with app.begin() as connection:
        connection.execute(SET_TENANT, {"org": RACE_ORG})
        granted, committed = connection.execute(
            text(
                "SELECT count(*), COALESCE(sum(CASE WHEN status = 'settled' THEN settled_gbp "
                "WHEN status = 'reserved' THEN amount_gbp ELSE 0 END), 0) FROM cost_reservations"
            )
        ).one()
        day = connection.execute(
            text("SELECT COALESCE(sum(spent_gbp + reserved_gbp), 0) FROM budget_days")
        ).scalar_one()
    return granted, committed, day


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def main() -> int:
    now = datetime.now(UTC)
    with scratch_database("manyfutures_gate") as scratch:
        owner = create_app_engine(scratch.owner_url, PoolOptions(size=1))
        app = create_app_engine(scratch.app_url, PoolOptions(size=2))
        factory: StorageFactory = PostgresUnitOfWorkFactory(app)
        add_organizations(app, [SMALL_ORG, LARGE_ORG, RACE_ORG], now)
        for org in (SMALL_ORG, LARGE_ORG):
            _set_limit(factory, org, Decimal("1000000"))
        _set_limit(factory, RACE_ORG, RACE_LIMIT)
        print(f"PostgreSQL {scratch.server_version}")
        loaded = {
            org: _load(owner, org, rows, now)
            for org, rows in ((SMALL_ORG, SMALL), (LARGE_ORG, LARGE))
        }
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE token_usage, token_usage_daily"))
        print(
            f"loaded {SMALL} and {LARGE} usage rows through the trigger in "
            f"{loaded[SMALL_ORG]:.1f} s and {loaded[LARGE_ORG]:.1f} s"
        )
        timings = _round_trips(factory)
        results = {
            org: {"p50_ms": round(statistics.median(t), 3), "p99_ms": round(_p99(t), 3)}
            for org, t in timings.items()
        }
        for org, rows in ((SMALL_ORG, SMALL), (LARGE_ORG, LARGE)):
            print(
                f"{rows:>9} usage rows for the organization: reserve + settle p50 "
                f"{results[org]['p50_ms']:.3f} ms, p99 {results[org]['p99_ms']:.3f} ms over "
                f"{ROUND_TRIPS} round trips (alternating slices of {SLICE})"
            )
        elapsed, tallied = _race(scratch.app_url)
        granted, committed, day = _counted(app)
        app.dispose()
        owner.dispose()

    attempts = PROCESSES * RACE_ATTEMPTS
    per_second = round(attempts / elapsed, 1)
    overshoot = max(committed - RACE_LIMIT, Decimal("0"))
    ratio = round(results[LARGE_ORG]["p50_ms"] / results[SMALL_ORG]["p50_ms"], 3)
    consistent = day == committed and tallied == granted
    print(
        f"race: {PROCESSES} processes x {RACE_ATTEMPTS} reservations of {RESERVATION} against "
        f"{RACE_LIMIT}: {granted} granted (allowed {RACE_ALLOWED}), {per_second} decisions/s, "
        f"committed {committed}, overshoot {overshoot}; day row {day}"
    )
    print(f"ratio (1 000 000 / 1 000, median round trip): {ratio} (target <= {TARGET_RATIO})")
    if not consistent:
        print(f"MISMATCH day row {day} vs reservations {committed}; tallies {tallied}")
    print(
        json.dumps(
            {
                "bench": "cost_gate",
                "postgres": scratch.server_version,
                "round_trips": ROUND_TRIPS,
                "reserve_settle_p50_ms_small": results[SMALL_ORG]["p50_ms"],
                "reserve_settle_p50_ms_large": results[LARGE_ORG]["p50_ms"],
                "reserve_settle_p99_ms_small": results[SMALL_ORG]["p99_ms"],
                "reserve_settle_p99_ms_large": results[LARGE_ORG]["p99_ms"],
                "rows_small": SMALL,
                "rows_large": LARGE,
                "ratio": ratio,
                "processes": PROCESSES,
                "attempts": attempts,
                "reservations_per_s": per_second,
                "granted": granted,
                "allowed": RACE_ALLOWED,
                "overshoot_gbp": str(overshoot),
            }
        )
    )
    return 0 if consistent and granted == RACE_ALLOWED and overshoot == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
