"""Pooled connections are not pinged; the first statement on one is its liveness check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import ProgrammingError

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine, live_connection
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.adapters.postgres.wiring import database_probe
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b

pytestmark = pytest.mark.integration
BACKEND_PID = text("SELECT pg_backend_pid()")


@pytest.fixture
def engine(db: MigratedDatabase) -> Iterator[Engine]:
    """One pooled connection, so the next checkout is always the connection last used."""
    engine = create_app_engine(db.app_url, PoolOptions(size=1, max_overflow=0))
    yield engine
    engine.dispose()


def _pooled_backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(BACKEND_PID).scalar_one())


def _terminate(db: MigratedDatabase, pid: int) -> None:
    with db.owner_engine.connect() as owner:
        assert owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def _recorded_statements(engine: Engine) -> list[str]:
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    return sent


def test_a_unit_of_work_sends_no_ping_before_its_own_statements(
    db: MigratedDatabase, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pooled_backend(engine)  # the pool holds a connection that has been used
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", pings.append)
    sent = _recorded_statements(engine)
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        assert uow.projects.get("proj_none") is None
    assert pings == []
    assert len(sent) == 2
    assert "set_config" in sent[0]
    assert "FROM projects" in sent[1]


def test_a_unit_of_work_on_a_pooled_connection_that_died_is_served_by_a_new_one(
    db: MigratedDatabase, engine: Engine
) -> None:
    dead = _pooled_backend(engine)
    _terminate(db, dead)
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.commit()
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        assert uow.organizations.get() is not None
        pid = uow.now(lambda connection: connection.execute(BACKEND_PID).scalar_one())
    assert pid != dead


def test_the_readiness_probe_is_not_fooled_by_a_pooled_connection_that_died(
    db: MigratedDatabase, engine: Engine
) -> None:
    _terminate(db, _pooled_backend(engine))
    database_probe(engine).check()


def test_an_error_that_is_not_a_disconnect_is_not_retried(
    db: MigratedDatabase, engine: Engine
) -> None:
    checkouts: list[object] = []
    event.listen(engine, "checkout", lambda *args: checkouts.append(args))
    with pytest.raises(ProgrammingError):
        live_connection(engine, text("SELECT no_such_column FROM projects"))
    assert len(checkouts) == 1
    assert engine.pool.checkedout() == 0  # the failed connection went back to the pool
