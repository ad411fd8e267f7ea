"""The token_usage trigger computes exactly what the domain's TokenUsageDaily.add computes."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.costs.model import Operation, TokenUsage, TokenUsageDaily
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction
from tests.integration.postgres.workers import UsageSpec, record_usage
from tests.support import builders as b

pytestmark = pytest.mark.integration

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def expected_daily(rows: list[TokenUsage]) -> TokenUsageDaily:
    """The domain's fold, with distinct episodes per day (what the trigger counts)."""
    daily = TokenUsageDaily(
        organization_id=rows[0].organization_id, date=rows[0].created_at.date(), last_updated=DAY
    )
    seen: set[str] = set()
    for usage in sorted(rows, key=lambda u: u.id):
        first = usage.episode_id is not None and usage.episode_id not in seen
        if usage.episode_id is not None:
            seen.add(usage.episode_id)
        daily.add(usage, first_for_episode=first)
    return daily


def _spec(usage: TokenUsage) -> UsageSpec:
    return (
        usage.id,
        usage.episode_id,
        usage.operation.value,
        usage.prompt_tokens,
        usage.completion_tokens,
        str(usage.cost_gbp),
        usage.created_at.isoformat(),
    )


def random_usage(count: int, seed: int) -> list[TokenUsage]:
    """Sub-penny costs, repeated episodes, every operation, hours spread over the UTC day."""
    rng = random.Random(seed)
    return [
        TokenUsage(
            id=f"usage_{n:05d}",
            organization_id="org_a",
            project_id="proj_1",
            episode_id=rng.choice([None, "ep_1", "ep_2", "ep_3", f"ep_{n % 11}"]),
            operation=rng.choice(list(Operation)),
            model="gpt-4o",
            prompt_tokens=rng.randint(0, 4000),
            completion_tokens=rng.randint(0, 2000),
            cost_gbp=Decimal(rng.randint(0, 99999)) / Decimal(10**6),
            created_at=DAY + timedelta(hours=rng.randint(0, 23), seconds=rng.randint(0, 3599)),
        )
        for n in range(count)
    ]


def _seed_org(db: MigratedDatabase) -> PostgresUnitOfWorkFactory:
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.commit()
    return factory


def _assert_same(actual: TokenUsageDaily | None, expected: TokenUsageDaily) -> None:
    assert actual is not None
    assert actual.total_cost_gbp == expected.total_cost_gbp
    assert actual.total_tokens == expected.total_tokens
    assert actual.episode_count == expected.episode_count
    assert actual.operation_breakdown == expected.operation_breakdown
    assert actual.hourly_tokens == expected.hourly_tokens
    assert (actual.hourly_peak, actual.peak_hour) == (expected.hourly_peak, expected.peak_hour)


def test_one_transaction_of_many_rows_matches_the_domain_fold(db: MigratedDatabase) -> None:
    factory = _seed_org(db)
    rows = random_usage(300, seed=7)
    with factory("org_a") as uow:
        for usage in rows:
            uow.token_usage.add(usage)
        uow.commit()
    with factory("org_a") as uow:
        daily = uow.token_usage.daily(DAY.date())
    _assert_same(daily, expected_daily(rows))
    assert daily is not None
    assert daily.last_updated in {u.created_at for u in rows}


def test_stored_peak_columns_equal_the_domain_properties(db: MigratedDatabase) -> None:
    """Ties go to the earliest hour, as in TokenUsageDaily.peak_hour."""
    factory = _seed_org(db)
    rows = [
        b.usage("usage_1", tokens=(50, 50), at=DAY + timedelta(hours=9)),
        b.usage("usage_2", tokens=(60, 40), at=DAY + timedelta(hours=3)),
        b.usage("usage_3", tokens=(10, 0), at=DAY + timedelta(hours=20)),
    ]
    with factory("org_a") as uow:
        for usage in rows:
            uow.token_usage.add(usage)
        uow.commit()
    with tenant_transaction(db.app_engine, "org_a") as connection:
        stored = connection.execute(
            text("SELECT hourly_peak, peak_hour FROM token_usage_daily")
        ).one()
    assert tuple(stored) == (100, 3)


def test_bulk_insert_in_one_statement_counts_each_episode_once(db: MigratedDatabase) -> None:
    """Row triggers of a multi-row INSERT see each other's rows; the count stays distinct."""
    _seed_org(db)
    with tenant_transaction(db.app_engine, "org_a") as connection:
        connection.execute(
            text(
                "INSERT INTO token_usage (id, organization_id, episode_id, operation, model, "
                "prompt_tokens, completion_tokens, cost_gbp, created_at) "
                "SELECT 'usage_' || n, 'org_a', 'ep_' || (n % 7), 'episode_generation', 'm', "
                "10, 5, 0.0001, :day FROM generate_series(1, 500) AS n"
            ),
            {"day": DAY},
        )
        total, cost, episodes = connection.execute(
            text("SELECT total_tokens, total_cost_gbp, episode_count FROM token_usage_daily")
        ).one()
    assert (total, cost, episodes) == (7500, Decimal("0.0500"), 7)


def test_concurrent_writers_lose_nothing_to_the_penny(db: MigratedDatabase) -> None:
    """Four processes, one transaction per row, all for the same organization and day."""
    _seed_org(db)
    rows = random_usage(240, seed=11)
    chunks = [rows[i::4] for i in range(4)]
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(chunks))
    url = db.app_url.render_as_string(hide_password=False)
    processes = [
        context.Process(target=record_usage, args=(url, "org_a", [_spec(u) for u in chunk], start))
        for chunk in chunks
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        daily = uow.token_usage.daily(DAY.date())
    expected = expected_daily(rows)
    _assert_same(daily, expected)
    assert daily is not None
    # Independent of the domain fold above: plain sums over the rows written.
    assert daily.total_cost_gbp == sum((u.cost_gbp for u in rows), Decimal("0"))
    assert daily.total_tokens == sum(u.prompt_tokens + u.completion_tokens for u in rows)
    assert daily.episode_count == len({u.episode_id for u in rows} - {None})
