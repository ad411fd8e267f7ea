"""Fixtures for the PostgreSQL integration tests: the session's database, emptied per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.postgres.database import MigratedDatabase, shared_test_database


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[MigratedDatabase]:
    with shared_test_database() as database:
        yield database


@pytest.fixture
def db(postgres_database: MigratedDatabase) -> MigratedDatabase:
    postgres_database.reset()
    return postgres_database
