"""One contract suite, every storage adapter.

Each test receives a ``Storage`` bundle (unit-of-work factory plus the
cross-tenant scheduler gateway) for every adapter in ``ADAPTERS``; the same
assertions must hold for the in-memory fake and for PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.core.persistence import UnitOfWorkFactory
from manyfutures.core.scheduling.ports import SchedulerGateway


@dataclass
class Storage:
    uow: UnitOfWorkFactory
    gateway: SchedulerGateway


def _memory() -> Iterator[Storage]:
    store = InMemoryStore()
    yield Storage(InMemoryUnitOfWorkFactory(store), InMemorySchedulerGateway(store))


ADAPTERS: dict[str, Callable[[pytest.FixtureRequest], Iterator[Storage]]] = {
    "memory": lambda request: _memory(),
}


@pytest.fixture(params=list(ADAPTERS))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    yield from ADAPTERS[request.param](request)
