"""The daily limit holds against 8 processes starting 200 generations at once.

One organization's limit allows exactly 50 generations at the reservation size
(MANYFUTURES_MAX_EPISODE_COST_GBP, 1.50; limit 75.00). 200 claimed items are split
over 8 forked processes that each run the production StartGeneration as RQ workers
would, with no settlement during the race. Everything is counted from the database
afterwards, not from the processes' own tallies.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction
from tests.integration.postgres.gate_workers import Job, start_generations
from tests.support import builders as b

pytestmark = pytest.mark.integration

PROCESSES = 8
GENERATIONS = 200
CEILING = Decimal("1.50")
LIMIT = Decimal("75.00")  # exactly 50 ceilings
ALLOWED = int(LIMIT // CEILING)


def _claimed_jobs(db: MigratedDatabase, now: datetime) -> list[Job]:
    """20 projects with 10 due slots each, claimed as the scheduler claims them."""
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a", daily_cost_limit_gbp=LIMIT))
        for p in range(GENERATIONS // 10):
            project = f"proj_{p:02d}"
            uow.projects.add(b.project(project))
            for n in range(10):
                episode = f"ep_{p:02d}_{n}"
                slot = now - timedelta(minutes=n + 1)
                uow.episodes.add(b.episode(episode, project, scheduled_for=slot))
                uow.queue.add(b.queue_item(f"queue_{p:02d}_{n}", project, episode, slot=slot))
        uow.commit()
    claimed = PostgresSchedulerGateway(db.app_engine).claim_due_items(
        now, timedelta(minutes=15), GENERATIONS, 3
    )
    assert len(claimed) == GENERATIONS
    return [(item.organization_id, item.id, item.attempt_count) for item in claimed]


def test_eight_processes_never_pass_the_daily_limit(db: MigratedDatabase) -> None:
    jobs = _claimed_jobs(db, datetime.now(UTC))
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    results: multiprocessing.Queue[int] = context.Queue()
    url = db.app_url.render_as_string(hide_password=False)
    processes = [
        context.Process(target=start_generations, args=(url, jobs[n::PROCESSES], start, results))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    started = [results.get(timeout=240) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0

    with tenant_transaction(db.app_engine, "org_a") as connection:

        def one(sql: str) -> object:
            return connection.execute(text(sql)).one()

        spent, reserved = one("SELECT sum(spent_gbp), sum(reserved_gbp) FROM budget_days")
        granted, granted_sum = one(
            "SELECT count(*), sum(amount_gbp) FROM cost_reservations WHERE status = 'reserved'"
        )
        runs, generating = one(
            "SELECT (SELECT count(*) FROM generation_runs), "
            "(SELECT count(*) FROM episodes WHERE status = 'GENERATING')"
        )
        queue = dict(
            connection.execute(
                text(
                    "SELECT status || '/' || attempt_count || '/' || coalesce(last_error, '-'), "
                    "count(*) FROM episode_schedule_queue GROUP BY 1"
                )
            ).all()
        )
    assert spent + reserved <= LIMIT
    assert (granted, granted_sum, reserved, spent) == (ALLOWED, LIMIT, LIMIT, 0)
    assert (runs, generating) == (ALLOWED, ALLOWED)
    # The rest are refused and blocked, and keep the attempt their claim counted.
    assert queue == {
        "processing/1/-": ALLOWED,
        "blocked/0/Daily limit exceeded": GENERATIONS - ALLOWED,
    }
    assert sum(started) == ALLOWED
    assert sum(1 for n in started if n) >= 2, "the processes did not race"
