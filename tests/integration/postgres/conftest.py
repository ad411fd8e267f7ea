"""Fixtures for the PostgreSQL integration tests: the session's database, emptied per test."""

from __future__ import annotations

import pytest

from tests.integration.postgres.database import MigratedDatabase


@pytest.fixture
def db(postgres_database: MigratedDatabase) -> MigratedDatabase:
    postgres_database.reset()
    return postgres_database
