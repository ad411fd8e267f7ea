"""The in-memory unit of work is composed from its registry: every store, nothing else."""

from __future__ import annotations

import pytest

from manyfutures.adapters.memory.registry import REPOSITORIES, TABLES, VIEWS
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWork
from tests.support.stores import store_attributes


def test_the_registry_serves_exactly_the_stores_the_core_declares() -> None:
    assert len(store_attributes()) >= 14
    assert set(REPOSITORIES) | set(VIEWS) == store_attributes()
    assert not set(REPOSITORIES) & set(VIEWS)


def test_each_table_is_registered_once() -> None:
    names = [table.name for table in TABLES]
    assert len(names) == len(set(names))


def test_repositories_are_built_on_first_use_and_kept() -> None:
    uow = InMemoryUnitOfWork(InMemoryStore(), "org_a")
    assert "projects" not in vars(uow)
    projects = uow.projects
    assert uow.projects is projects
    assert "episodes" not in vars(uow)


def test_an_unregistered_store_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no repository 'gadgets'"):
        _ = InMemoryUnitOfWork(InMemoryStore(), "org_a").gadgets
