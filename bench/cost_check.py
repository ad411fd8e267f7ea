"""Reading an organization's spend for today, with 1 000 and with 1 000 000 raw usage rows.

    .venv/bin/python bench/cost_check.py     # ~1-2 minutes on a 2-core machine

The cost gate reads ``token_usage_daily`` (one row per organization and UTC day,
kept by the trigger on ``token_usage``), never the raw rows, so the read should
cost the same whatever the size of ``token_usage``. This measures that:

* a throwaway database (bench/_scratch.py: on ``MANYFUTURES_BENCH_DATABASE_URL``,
  migrated as ``manyfutures db upgrade`` does) with 97 organizations;
* raw rows are loaded **through the trigger**, with
  ``INSERT … SELECT … FROM generate_series``: chunks of up to 50 000 rows, one
  transaction each, with one statement per organization (every 97th number,
  ~515 rows in a full chunk), spread over the organizations, the last 100 UTC
  days and every hour — so the daily aggregate is built exactly as production
  builds it (nothing is written to ``token_usage_daily`` directly). First 1 000
  rows, then 999 000 more;
* after each load, ``VACUUM ANALYZE``, 300 warm-up reads, then 3 000 timed reads
  of one organization's spend for today through the production path: a unit of
  work as the app role (``set_config`` + the aggregate's primary-key lookup +
  rollback), ``uow.token_usage.daily(today)``;
* the aggregate is checked against ``SUM`` over the raw rows, to the penny; a
  mismatch is printed and the exit status is 1.

Printed: median and p99 per read for both sizes, and their ratio (target ≤ 1.2).
For contrast, the same spend summed from the raw rows is timed too (a plain
transaction, not a unit of work). It is fast here because each organization has
only ~100 rows a day and the (organization_id, created_at) index narrows to
them; it grows with an organization's rows per day, the aggregate read does not.
The last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _scratch import add_organizations, scratch_database, tenant_ids
from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT, PostgresUnitOfWorkFactory

ORGANIZATIONS = 97
DAYS = 100
CHUNK = 50_000
SMALL, LARGE = 1_000, 1_000_000
READS, WARM_UP = 3_000, 300
TARGET_RATIO = 1.2
TARGET_ORG = "org_001"  # has usage today in both sizes (rows 1, 9701, 19401, ...)

# Row n: organization n % 97, day (n // 97) % 100 before today, hour n % 24; costs in
# tenths of a penny (0.001-0.047) so sums are exact decimals. Inserted org by org with the
# tenant set, so the load works whether or not the owner bypasses row-level security; each
# statement steps through its organization's numbers instead of filtering every number.
LOAD = text(
    """
    INSERT INTO token_usage (id, organization_id, project_id, episode_id, operation, model,
        prompt_tokens, completion_tokens, cost_gbp, created_at)
    SELECT 'usage_' || lpad(n::text, 8, '0'), :org, 'proj_' || :org,
           'ep_' || :org || '_' || ((n / 97) % 100) || '_' || (n % 5),
           (ARRAY['episode_generation', 'project_onboarding', 'chat'])[1 + n % 3], 'gpt-4o',
           100 + n % 900, 50 + n % 400, (n % 47 + 1) * 0.001,
           :today - ((n / 97) % 100) * interval '1 day' + (n % 24) * interval '1 hour'
                  + (n % 3600) * interval '1 second'
      FROM generate_series(CAST(:first_n AS bigint), CAST(:last AS bigint), 97) AS n
    """
)


def _load(owner: Engine, first: int, last: int, today: datetime) -> float:
    began = time.monotonic()
    for start in range(first, last + 1, CHUNK):
        end = min(start + CHUNK - 1, last)
        with owner.begin() as connection:
            for org_number, org in enumerate(tenant_ids(ORGANIZATIONS)):
                connection.execute(SET_TENANT, {"org": org})
                connection.execute(
                    LOAD,
                    {
                        "org": org,
                        # The step form needs a start with n % 97 == org_number.
                        "first_n": start + (org_number - start) % ORGANIZATIONS,
                        "last": end,
                        "today": today,
                    },
                )
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE token_usage, token_usage_daily"))
    return time.monotonic() - began


def _time_reads(factory: PostgresUnitOfWorkFactory, today: date) -> tuple[list[float], Decimal]:
    spend = Decimal("0")
    for _ in range(WARM_UP):
        with factory(TARGET_ORG) as uow:
            uow.token_usage.daily(today)
    timings = []
    for _ in range(READS):
        began = time.perf_counter()
        with factory(TARGET_ORG) as uow:
            daily = uow.token_usage.daily(today)
        timings.append((time.perf_counter() - began) * 1000)
        spend = daily.total_cost_gbp if daily else Decimal("0")
    return timings, spend


def _raw_spend(app: Engine, today: datetime) -> tuple[float, Decimal]:
    """The same question answered from the raw rows, for contrast."""
    timings = []
    total = Decimal("0")
    for _ in range(200):
        began = time.perf_counter()
        with app.begin() as connection:
            connection.execute(SET_TENANT, {"org": TARGET_ORG})
            total = connection.execute(
                text(
                    "SELECT COALESCE(sum(cost_gbp), 0) FROM token_usage "
                    "WHERE organization_id = :org AND created_at >= :start AND created_at < :end"
                ),
                {"org": TARGET_ORG, "start": today, "end": today + timedelta(days=1)},
            ).scalar_one()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings), total


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def main() -> int:
    now = datetime.now(UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    results: dict[int, dict[str, float]] = {}
    mismatches: list[str] = []
    with scratch_database("manyfutures_cost") as scratch:
        version = scratch.server_version
        owner = create_app_engine(scratch.owner_url, PoolOptions(size=1))
        app = create_app_engine(scratch.app_url, PoolOptions(size=1))
        factory = PostgresUnitOfWorkFactory(app)
        add_organizations(app, tenant_ids(ORGANIZATIONS), now)
        print(f"PostgreSQL {version}; {ORGANIZATIONS} organizations, {DAYS} days of usage")
        loaded = 0
        for size in (SMALL, LARGE):
            seconds = _load(owner, loaded + 1, size, today)
            loaded = size
            timings, spend = _time_reads(factory, today.date())
            raw_ms, raw_spend = _raw_spend(app, today)
            if spend != raw_spend:
                mismatches.append(f"{size} raw rows: aggregate {spend} != raw sum {raw_spend}")
            results[size] = {
                "load_seconds": round(seconds, 1),
                "p50_ms": round(statistics.median(timings), 4),
                "p99_ms": round(_p99(timings), 4),
                "raw_sum_p50_ms": round(raw_ms, 4),
                "spend_gbp": float(spend),
            }
            print(
                f"{size:>9} raw rows: spend today {spend} GBP; read p50 "
                f"{results[size]['p50_ms']:.3f} ms, p99 {results[size]['p99_ms']:.3f} ms "
                f"(from raw rows: {raw_ms:.3f} ms); loaded through the trigger in "
                f"{seconds:.1f} s"
            )
        app.dispose()
        owner.dispose()

    ratio = round(results[LARGE]["p50_ms"] / results[SMALL]["p50_ms"], 3)
    print(f"ratio (1 000 000 / 1 000, median read): {ratio} (target <= {TARGET_RATIO})")
    for mismatch in mismatches:
        print(f"MISMATCH {mismatch}")
    print(
        json.dumps(
            {
                "bench": "cost_check",
                "postgres": version,
                "rows_small": SMALL,
                "rows_large": LARGE,
                "reads": READS,
                "small_p50_ms": results[SMALL]["p50_ms"],
                "large_p50_ms": results[LARGE]["p50_ms"],
                "small_p99_ms": results[SMALL]["p99_ms"],
                "large_p99_ms": results[LARGE]["p99_ms"],
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "raw_sum_small_p50_ms": results[SMALL]["raw_sum_p50_ms"],
                "raw_sum_large_p50_ms": results[LARGE]["raw_sum_p50_ms"],
                "load": "INSERT ... SELECT generate_series through the token_usage trigger",
                "load_seconds_large": results[LARGE]["load_seconds"],
                "aggregate_matches_raw_sum": not mismatches,
            }
        )
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
