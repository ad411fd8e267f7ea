"""The scheduler gateway's dedicated connection: reused, replaced when it breaks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.builders import T0

pytestmark = pytest.mark.integration
LEASE = timedelta(minutes=15)


def backend_pid(gateway: PostgresSchedulerGateway) -> int:
    rows = gateway._run("SELECT pg_backend_pid() AS pid", {})
    return int(rows[0].pid)


def seed_items(db: MigratedDatabase, count: int) -> None:
    from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory

    with PostgresUnitOfWorkFactory(db.app_engine)("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_a"))
        uow.episodes.add(b.episode("ep_a", "proj_a"))
        for n in range(count):
            uow.queue.add(
                b.queue_item(f"queue_{n}", "proj_a", "ep_a", slot=T0 - timedelta(minutes=n))
            )
        uow.commit()


def test_one_connection_serves_every_call(db: MigratedDatabase) -> None:
    gateway = PostgresSchedulerGateway(db.app_engine)
    first = backend_pid(gateway)
    gateway.claim_due_items(T0, LEASE, 10, 3)
    gateway.due_projects(T0, 10)
    assert backend_pid(gateway) == first


def test_a_killed_connection_is_replaced_and_the_claim_still_happens(
    db: MigratedDatabase,
) -> None:
    seed_items(db, 3)
    gateway = PostgresSchedulerGateway(db.app_engine)
    old = backend_pid(gateway)
    with db.owner_engine.connect() as owner:
        assert owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old}).scalar()
    claimed = gateway.claim_due_items(T0, LEASE, 10, 3)
    assert sorted(item.id for item in claimed) == ["queue_0", "queue_1", "queue_2"]
    assert backend_pid(gateway) != old


def test_sql_errors_are_not_retried(db: MigratedDatabase) -> None:
    import psycopg

    gateway = PostgresSchedulerGateway(db.app_engine)
    old = backend_pid(gateway)
    with pytest.raises(psycopg.errors.UndefinedFunction):
        gateway._run("SELECT no_such_function()", {})
    assert backend_pid(gateway) == old


def test_the_autocommit_connection_never_returns_to_the_pool(db: MigratedDatabase) -> None:
    """Back in the pool, autocommit would unscope the next unit of work's set_config."""
    import gc

    gateway = PostgresSchedulerGateway(db.app_engine)
    gateway.claim_due_items(T0, LEASE, 10, 3)
    del gateway
    gc.collect()
    held = [db.app_engine.connect() for _ in range(db.app_engine.pool.size())]
    try:
        assert all(c.connection.driver_connection.autocommit is False for c in held)
    finally:
        for connection in held:
            connection.close()
    seed_items(db, 1)  # a tenant-scoped write still passes row-level security


def test_a_unit_of_work_on_a_killed_connection_reports_the_disconnect(
    db: MigratedDatabase,
) -> None:
    """A dropped connection surfaces as the driver's disconnect, not a domain error."""
    from sqlalchemy.exc import OperationalError

    from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory

    with PostgresUnitOfWorkFactory(db.app_engine)("org_a") as uow:
        uow.projects.get("proj_none")  # opens the transaction on a pooled connection
        pid = uow.now(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with db.owner_engine.connect() as owner:
            owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(OperationalError):
            uow.projects.get("proj_none")


def _child_backend(gateway: PostgresSchedulerGateway, answer: Any) -> None:
    answer.put(backend_pid(gateway))


def test_a_forked_child_opens_its_own_connection_and_spares_the_parents(
    db: MigratedDatabase,
) -> None:
    import multiprocessing

    gateway = PostgresSchedulerGateway(db.app_engine)
    parent = backend_pid(gateway)
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_child_backend, args=(gateway, answer))
    child.start()
    child_pid = answer.get(timeout=30)
    child.join(30)
    assert child.exitcode == 0
    assert child_pid != parent
    assert backend_pid(gateway) == parent  # the parent's session survived the child


def test_after_a_restart_the_gateway_gets_past_every_dead_pooled_connection(
    db: MigratedDatabase,
) -> None:
    """A restart kills the gateway's connection and every pooled one at once."""
    from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine

    engine = create_app_engine(db.app_url, PoolOptions(size=3, max_overflow=0))
    try:
        held = [engine.connect() for _ in range(3)]
        for connection in held:
            connection.execute(text("SELECT 1"))
            connection.close()  # three live connections now wait in the pool
        gateway = PostgresSchedulerGateway(engine)
        gateway.due_projects(T0, 10)
        with db.owner_engine.connect() as owner:
            owner.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND usename = :role"
                ),
                {"role": db.app_role},
            )
        assert gateway.due_projects(T0, 10) == []
    finally:
        engine.dispose()
