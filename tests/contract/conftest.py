"""One contract suite, every storage adapter.

Each test receives a ``Storage`` bundle (unit-of-work factory plus the cross-tenant
paths: the scheduler and outbox gateways and the callbacks' run locator) for every
adapter in ``ADAPTERS``; the same
assertions must hold for the in-memory fake and for PostgreSQL.

PostgreSQL runs in a fresh database created (and migrated, and finally dropped)
once per test session (tests/conftest.py), emptied before each test, and is reached
as the app role, so row-level security is in force exactly as in production. See
tests/integration/postgres/database.py for where the server comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from manyfutures.adapters.memory.memory_store_gateway import InMemoryMemoryStoreGateway
from manyfutures.adapters.memory.metrics_gauges import InMemoryGaugeReader
from manyfutures.adapters.memory.operations import InMemoryOperatorGateway
from manyfutures.adapters.memory.outbox import InMemoryOutboxGateway
from manyfutures.adapters.memory.run_locator import InMemoryRunLocator
from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.adapters.metrics.gauges import GaugeReader
from manyfutures.adapters.postgres.memory_store_gateway import PostgresMemoryStoreGateway
from manyfutures.adapters.postgres.metrics_gauges import PostgresGaugeReader
from manyfutures.adapters.postgres.operator_gateway import PostgresOperatorGateway
from manyfutures.adapters.postgres.outbox import PostgresOutboxGateway
from manyfutures.adapters.postgres.run_locator import PostgresRunLocator
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.feedback.ports import MemoryStoreGateway
from manyfutures.core.generation.ports import RunLocator
from manyfutures.core.operations.ports import OperatorGateway
from manyfutures.core.outbox.ports import OutboxGateway
from manyfutures.core.scheduling.ports import SchedulerGateway
from manyfutures.core.storage import StorageFactory
from tests.integration.postgres.database import MigratedDatabase


@dataclass
class Storage:
    uow: StorageFactory
    gateway: SchedulerGateway
    outbox: OutboxGateway
    runs: RunLocator
    memories: MemoryStoreGateway
    gauges: GaugeReader
    operators: OperatorGateway


def _memory() -> Iterator[Storage]:
    store = InMemoryStore()
    yield Storage(
        InMemoryUnitOfWorkFactory(store),
        InMemorySchedulerGateway(store),
        InMemoryOutboxGateway(store),
        InMemoryRunLocator(store),
        InMemoryMemoryStoreGateway(store),
        InMemoryGaugeReader(store),
        InMemoryOperatorGateway(store),
    )


def _postgres(request: pytest.FixtureRequest) -> Iterator[Storage]:
    database: MigratedDatabase = request.getfixturevalue("postgres_database")
    database.reset()
    engine = database.app_engine
    yield Storage(
        PostgresUnitOfWorkFactory(engine),
        PostgresSchedulerGateway(engine),
        PostgresOutboxGateway(engine),
        PostgresRunLocator(engine),
        PostgresMemoryStoreGateway(engine),
        PostgresGaugeReader(engine),
        PostgresOperatorGateway(engine),
    )


ADAPTERS: dict[str, Callable[[pytest.FixtureRequest], Iterator[Storage]]] = {
    "memory": lambda request: _memory(),
    "postgres": _postgres,
}
MARKS = {"postgres": [pytest.mark.integration]}


@pytest.fixture(params=[pytest.param(name, marks=MARKS.get(name, [])) for name in ADAPTERS])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    yield from ADAPTERS[request.param](request)
