"""A unit of work starts its transaction and sets the tenant in one message, and leaves
the pool's connections as it found them (the driver's transactional mode)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest
from psycopg import pq
from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from tests.integration.postgres.database import MigratedDatabase

pytestmark = pytest.mark.integration
CURRENT_ORG = text("SELECT current_setting('app.current_org_id', true)")


@pytest.fixture(params=[5, 0], ids=["prepared from the 5th use", "prepared at once"])
def engine(db: MigratedDatabase, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One pooled connection, so every unit of work and check below uses the same one."""
    options = PoolOptions(size=1, max_overflow=0, prepare_threshold=request.param)
    engine = create_app_engine(db.app_url, options)
    yield engine
    engine.dispose()


@contextmanager
def sent_messages(engine: Engine) -> Iterator[list[str]]:
    """The protocol messages the pooled connection sends inside the block (libpq's trace)."""
    messages: list[str] = []
    with engine.connect() as connection:
        pgconn = connection.connection.driver_connection.pgconn  # type: ignore[union-attr]
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield messages
        finally:
            pgconn.untrace()
            trace.seek(0)
            sent = (line.split("\t") for line in trace.read().splitlines())
            messages.extend(" ".join(f.strip() for f in m[2:]) for m in sent if m[0] == "F")


def round_trips(messages: list[str]) -> int:
    """Each simple query, and each extended-protocol Sync, waits for the server once."""
    return sum(1 for m in messages if m.startswith(("Query", "Sync")))


def test_a_read_begins_and_sets_the_tenant_in_one_round_trip(engine: Engine) -> None:
    units_of_work = PostgresUnitOfWorkFactory(engine)
    for _ in range(6):  # past the prepare threshold: the page's own Parse is behind it
        with units_of_work("org_a") as uow:
            uow.projects.list(20)
    with sent_messages(engine) as messages, units_of_work("org_a") as uow:
        assert list(uow.projects.list(20)) == []
    assert messages[0] == (
        "Query \"BEGIN; SELECT set_config('app.current_org_id', 'org_a', true)\""
    )
    assert 'Query "BEGIN"' not in messages
    assert round_trips(messages) == 3  # BEGIN + tenant, the page, COMMIT


def test_a_reused_unit_of_work_scopes_its_next_transaction_the_same_way(engine: Engine) -> None:
    with sent_messages(engine) as messages, PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        uow.projects.list(20)
        uow.commit()
        tenant = uow.now(lambda connection: connection.execute(CURRENT_ORG).scalar())
    assert tenant == "org_a"
    begun = [m for m in messages if m.startswith('Query "BEGIN')]
    assert begun == ["Query \"BEGIN; SELECT set_config('app.current_org_id', 'org_a', true)\""] * 2


def test_an_organization_id_is_quoted_not_spliced(engine: Engine) -> None:
    organization = "org_'); SELECT pg_sleep(10); --\\"
    with PostgresUnitOfWorkFactory(engine)(organization) as uow:
        tenant = uow.now(lambda connection: connection.execute(CURRENT_ORG).scalar())
    assert tenant == organization


@pytest.mark.parametrize("ending", ["commit", "read only", "error"])
def test_the_connection_goes_back_to_the_pool_in_transactional_mode(
    engine: Engine, ending: str
) -> None:
    expected = pytest.raises(ZeroDivisionError) if ending == "error" else nullcontext()
    with expected, PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        uow.projects.list(20)
        if ending == "commit":
            uow.commit()
        if ending == "error":
            raise ZeroDivisionError
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        assert driver.autocommit is False
        connection.execute(text("SELECT 1"))
        assert connection.in_transaction()
        assert driver.info.transaction_status == pq.TransactionStatus.INTRANS
