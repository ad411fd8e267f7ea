"""Code run in child processes by the concurrency tests.

The tests fork (a spawned child spends ~1 s importing, which is most of the
test). Each child builds its own engine from a URL and never touches the
parent's pool; multiprocessing ends a forked child with ``os._exit``, so the
inherited sockets are neither used nor closed by it. This is the rule the
service follows too: no pooled connection crosses a process boundary.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from dependency_injector import providers

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.container import build_container
from manyfutures.core.costs.model import Operation, TokenUsage
from manyfutures.core.projects.plan_limit import ActiveProjectLimitError
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.settings import Settings
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.support.racing import RacingUnitOfWork

UsageSpec = tuple[str, str | None, str, int, int, str, str]
"""(id, episode_id, operation, prompt, completion, cost, created_at ISO)."""


def claim_until_empty(
    url: str, now: datetime, batch_size: int, start: Barrier
) -> list[tuple[str, int]]:
    """Claim batches until the queue has nothing due; return (item id, attempt) pairs."""
    engine = create_app_engine(url, PoolOptions(size=1, max_overflow=0))
    gateway = PostgresSchedulerGateway(engine)
    claimed: list[tuple[str, int]] = []
    start.wait()
    try:
        while True:
            batch = gateway.claim_due_items(now, timedelta(minutes=15), batch_size, 3)
            if not batch:
                return claimed
            claimed.extend((item.id, item.attempt_count) for item in batch)
    finally:
        engine.dispose()


def claim_into(
    url: str,
    now: datetime,
    batch_size: int,
    start: Barrier,
    results: Queue[list[tuple[str, int]]],
) -> None:
    results.put(claim_until_empty(url, now, batch_size, start))


def record_usage(url: str, organization_id: str, rows: list[UsageSpec], start: Barrier) -> None:
    """One unit of work (one transaction) per usage row, like callbacks arriving at once."""
    engine = create_app_engine(url, PoolOptions(size=1, max_overflow=0))
    factory = PostgresUnitOfWorkFactory(engine)
    start.wait()
    try:
        for usage_id, episode_id, operation, prompt, completion, cost, at in rows:
            with factory(organization_id) as uow:
                uow.token_usage.add(
                    TokenUsage(
                        id=usage_id,
                        organization_id=organization_id,
                        project_id="proj_1",
                        episode_id=episode_id,
                        operation=Operation(operation),
                        model="gpt-4o",
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        cost_gbp=Decimal(cost),
                        created_at=datetime.fromisoformat(at),
                    )
                )
                uow.commit()
    finally:
        engine.dispose()


def create_one_project(
    url: str, actor: Actor, start: Barrier, everyone: Barrier, results: Queue[str]
) -> None:
    """The production CreateProject on its own container and engine, its count made to
    wait for the other processes' (tests/support/racing.py); reports what became of it."""
    settings = Settings(
        storage="postgres",
        allow_dev_auth=True,
        app_database_url=url,
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
    )
    container = build_container(settings)
    real = container.adapters.uow_factory()
    container.adapters.uow_factory.override(
        providers.Object(lambda org: RacingUnitOfWork(real(org), everyone))
    )
    start.wait()
    try:
        container.projects.create_project()(
            CreateProjectCommand(actor, f"Racer {os.getpid()}", "brief")
        )
        results.put("created")
    except ActiveProjectLimitError:
        results.put("refused")
    finally:
        container.adapters.postgres_engine().dispose()
