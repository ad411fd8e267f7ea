"""Fixtures shared by every suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.postgres.database import MigratedDatabase, session_database
from tests.support.tls import Certificates, make_certificates


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[MigratedDatabase]:
    """One database for the whole session, whichever suites use it.

    Created when the first test that needs it runs, so a run without Postgres tests
    never needs a server; dropped when the session ends.
    """
    with session_database() as database:
        yield database


@pytest.fixture
def db(postgres_database: MigratedDatabase) -> MigratedDatabase:
    """The session's database, emptied for this test."""
    postgres_database.reset()
    return postgres_database


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA made for this session and a certificate for 127.0.0.1 signed by it, for the
    SMTP servers of the outbox and pipeline tests (tests/support/tls.py)."""
    return make_certificates(tmp_path_factory.mktemp("tls"))
