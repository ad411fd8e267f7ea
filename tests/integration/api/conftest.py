"""The API on PostgreSQL, and fixtures that run the same assertions in both storage modes.

``postgres_api`` is the app built by the container as ``manyfutures serve`` builds it with
``MANYFUTURES_STORAGE=postgres``: it connects as the session database's app role, so
row-level security is in force. Dev-auth headers stand in for Clerk (``ALLOW_DEV_AUTH``),
the clock and ids are the unit suite's deterministic ones, and the rate limit is far
out of reach, so tests exercise validation, never the 429 path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import text

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.integration.postgres.database import TABLES, MigratedDatabase
from tests.support.builders import T0
from tests.support.fakes import ManualClock
from tests.unit.http.conftest import TEST_SETTINGS, Api, build_test_container, seed_tenants


def postgres_settings(database: MigratedDatabase, base: Settings = TEST_SETTINGS) -> Settings:
    return replace(
        base,
        storage="postgres",
        allow_dev_auth=True,
        app_database_url=database.app_url.render_as_string(hide_password=False),
    )


@dataclass
class Deployment:
    """An app over one kind of storage, and a way to count everything it has stored."""

    mode: str
    api: Api
    container: Container
    row_counts: Callable[[], dict[str, int]]


_COUNT_EVERY_TABLE = text(
    "SELECT " + ", ".join(f"(SELECT count(*) FROM {name}) AS {name}" for name in TABLES)
)


def _postgres_rows(database: MigratedDatabase) -> dict[str, int]:
    """Every table's row count in one statement, read as the owner (who sees every tenant's
    rows)."""
    with database.owner_engine.connect() as connection:
        return dict(connection.execute(_COUNT_EVERY_TABLE).mappings().one())


def _memory_rows(store: InMemoryStore) -> dict[str, int]:
    with store.lock:
        counts = {name: len(rows) for name, rows in store.tables.items()}
        counts["daily_usage"] = len(store.daily_usage)
        return counts


def postgres_deployment(
    database: MigratedDatabase, base: Settings = TEST_SETTINGS
) -> Iterator[Deployment]:
    database.reset()
    container = build_test_container(postgres_settings(database, base))
    seed_tenants(container)
    api = Api(create_app(container).test_client())
    try:
        yield Deployment("postgres", api, container, lambda: _postgres_rows(database))
    finally:
        container.unwire()
        container.adapters.postgres_engine().dispose()


def memory_deployment(base: Settings = TEST_SETTINGS) -> Iterator[Deployment]:
    container = build_test_container(base)
    seed_tenants(container)
    api = Api(create_app(container).test_client())
    store = container.adapters.memory_store()
    try:
        yield Deployment("memory", api, container, lambda: _memory_rows(store))
    finally:
        container.unwire()


@pytest.fixture
def postgres(postgres_database: MigratedDatabase) -> Iterator[Deployment]:
    yield from postgres_deployment(postgres_database)


@pytest.fixture(params=["memory", "postgres"])
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """The same test against memory storage and PostgreSQL: both must answer alike."""
    if request.param == "memory":
        yield from memory_deployment()
    else:
        yield from postgres_deployment(request.getfixturevalue("postgres_database"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)
