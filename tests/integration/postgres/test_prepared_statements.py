"""psycopg forgets every statement it prepared on a connection when that connection rolls
back (it sends ``DEALLOCATE ALL``), so the hot paths must not roll back for nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.run_locator import PostgresRunLocator
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from tests.integration.postgres.database import MigratedDatabase

pytestmark = pytest.mark.integration
PREPARED = text("SELECT statement FROM pg_prepared_statements")
CREATE_MARK = text("CREATE TEMP TABLE mark (id int)")
MARK_EXISTS = text("SELECT to_regclass('pg_temp.mark')")
CURRENT_ORG = text("SELECT current_setting('app.current_org_id', true)")


@pytest.fixture
def engine(db: MigratedDatabase) -> Iterator[Engine]:
    """One pooled connection that prepares every statement at its first use."""
    engine = create_app_engine(db.app_url, PoolOptions(size=1, max_overflow=0, prepare_threshold=0))
    yield engine
    engine.dispose()


def _prepared(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        statements = list(connection.execute(PREPARED).scalars())
        connection.commit()  # not a rollback, which would empty the list
        return statements


def test_locating_a_callbacks_run_keeps_the_connections_prepared_statements(
    engine: Engine,
) -> None:
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        assert uow.runs.get("run_a") is None
        uow.commit()
    read_run = [s for s in _prepared(engine) if "FROM generation_runs" in s]
    assert read_run

    assert PostgresRunLocator(engine).locate("run_a") is None

    assert set(read_run) <= set(_prepared(engine))


def test_the_locators_autocommit_is_not_handed_back_to_the_pool(engine: Engine) -> None:
    """The next unit of work on the same connection keeps its tenant setting past the
    statement that set it: its transaction-local setting would last one statement in
    autocommit."""
    assert PostgresRunLocator(engine).locate("run_a") is None
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        tenant = uow.now(lambda connection: connection.execute(CURRENT_ORG).scalar())
    assert tenant == "org_a"


def test_a_unit_of_work_that_only_read_keeps_the_prepared_statements(engine: Engine) -> None:
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        assert uow.runs.get("run_a") is None
    assert any("FROM generation_runs" in s for s in _prepared(engine))


def test_a_unit_of_work_that_wrote_and_did_not_commit_is_rolled_back(engine: Engine) -> None:
    """``now()`` may write, so its transaction ends with ROLLBACK like a staged write's."""
    with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
        assert uow.runs.get("run_a") is None
        uow.now(lambda connection: connection.execute(CREATE_MARK))
    with engine.connect() as connection:  # the pool's one connection, where it was created
        assert connection.execute(MARK_EXISTS).scalar() is None
        connection.commit()


def test_a_read_only_unit_of_work_that_failed_rolls_back(engine: Engine) -> None:
    def read_then_fail() -> None:
        with PostgresUnitOfWorkFactory(engine)("org_a") as uow:
            assert uow.runs.get("run_a") is None
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        read_then_fail()
    assert not any("FROM generation_runs" in s for s in _prepared(engine))
