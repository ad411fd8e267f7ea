"""The registry is the Postgres adapter's one list of capabilities: nothing may be missing.

The unit of work builds each store from ``REPOSITORIES`` when it is first read, which
mypy cannot follow (the factory casts to ``StorageUnitOfWork``), so these tests are
what proves the cast: every store the core declares is registered, with a repository
that implements the store's protocol. And Alembic and the drift test see only the
tables of modules the registry imports, so a capability module left out of
``CAPABILITIES`` would drop its tables from the schema comparison without an error.
No database: a unit of work connects only when a repository first sends a statement.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from manyfutures.adapters import postgres
from manyfutures.adapters.postgres.base import Base, tenant_column
from manyfutures.adapters.postgres.registry import (
    CAPABILITIES,
    GLOBAL_TABLES,
    METADATA,
    REPOSITORIES,
    TENANT_TABLES,
    VIEW_MODULES,
)
from manyfutures.adapters.postgres.repository import Repository
from manyfutures.adapters.postgres.unit_of_work import (
    PostgresUnitOfWork,
    PostgresUnitOfWorkFactory,
)
from tests.support.stores import store_attributes, store_protocols

STORES = store_protocols()


def _import_every_module() -> None:
    """The whole package, migrations aside (they run Alembic when imported)."""
    for module in pkgutil.walk_packages(postgres.__path__, f"{postgres.__name__}."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine that is never connected: nothing in these tests sends a statement."""
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    yield engine
    engine.dispose()


def test_the_registry_serves_exactly_the_stores_the_core_declares() -> None:
    assert len(store_attributes()) >= 14
    assert set(REPOSITORIES) == store_attributes()


@pytest.mark.parametrize("name", sorted(STORES))
def test_each_store_is_a_repository_implementing_its_protocol(name: str) -> None:
    repository, protocol = REPOSITORIES[name], STORES[name]
    assert issubclass(repository, Repository)
    assert protocol in repository.__mro__
    stubs = [
        member
        for member in vars(protocol)
        if not member.startswith("_") and getattr(repository, member) is getattr(protocol, member)
    ]
    assert stubs == [], f"{repository.__name__} leaves the protocol's stubs in place"


def test_no_store_name_is_hidden_by_an_attribute_of_the_unit_of_work() -> None:
    """``__getattr__`` only sees names the class lacks: a store called ``rows`` would
    quietly be the unit of work's method."""
    assert set(REPOSITORIES).isdisjoint(dir(PostgresUnitOfWork))


def test_the_factory_gives_a_postgres_unit_of_work_for_the_organization(engine: Engine) -> None:
    uow = PostgresUnitOfWorkFactory(engine)("org_a")
    assert isinstance(uow, PostgresUnitOfWork)
    assert uow.organization_id == "org_a"


def test_repositories_are_built_on_first_use_and_then_kept(engine: Engine) -> None:
    uow = PostgresUnitOfWork(engine, "org_a")
    assert not set(REPOSITORIES) & set(vars(uow))
    projects = uow.projects
    assert type(projects) is REPOSITORIES["projects"]
    assert uow.projects is projects
    assert set(REPOSITORIES) & set(vars(uow)) == {"projects"}


@pytest.mark.parametrize("name", sorted(STORES))
def test_every_store_is_reachable_on_a_unit_of_work(engine: Engine, name: str) -> None:
    uow = PostgresUnitOfWorkFactory(engine)("org_a")
    assert STORES[name] in type(getattr(uow, name)).__mro__


def test_an_unregistered_attribute_is_an_attribute_error(engine: Engine) -> None:
    uow = PostgresUnitOfWork(engine, "org_a")
    with pytest.raises(AttributeError, match="no_such_store") as raised:
        _ = uow.no_such_store
    assert raised.value.name == "no_such_store"
    assert not hasattr(uow, "no_such_store")


def test_every_row_class_is_in_a_listed_capability_module() -> None:
    _import_every_module()
    homes = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert homes == {module.__name__ for module in CAPABILITIES}


def test_every_repository_class_is_registered() -> None:
    """A repository written but not registered would never be built."""
    _import_every_module()
    written = {
        cls
        for module in (*CAPABILITIES, *VIEW_MODULES)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Repository) and cls is not Repository
    }
    assert written == set(REPOSITORIES.values())


def test_every_table_is_scoped_by_a_column_it_has_or_declared_global() -> None:
    """A table with no ``organization_id`` that does not say how it is scoped fails here,
    before row-level security is asked to compare a column that is not there."""
    for table in METADATA.tables.values():
        column = tenant_column(table)
        assert column is None or column in table.c, table.name
    assert set(GLOBAL_TABLES) == {"users"}
    assert tenant_column(METADATA.tables["organizations"]) == "id"
    assert set(TENANT_TABLES) == set(METADATA.tables) - GLOBAL_TABLES
