"""A fresh, migrated PostgreSQL database per test session (tests/conftest.py holds it).

The server is ``MANYFUTURES_TEST_DATABASE_URL`` (default: the local PostgreSQL on
127.0.0.1:5432 as ``postgres``). Each session creates its own database *and its
own roles* (random names), so concurrent test runs on one server never step on
each other, migrates it as the owner exactly as ``manyfutures db upgrade`` does,
and drops all of it at the end. Tests connect as the session's app role, the way
the service does, so row-level security is always in force.

No server answering: on CI (``CI=true``) that is a failure, never a skip. Anywhere
else a throwaway server is started from the installed binaries
(``/usr/lib/postgresql/*/bin``) with pytest-postgresql's executor.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url

from manyfutures.adapters.postgres.engine import (
    PoolOptions,
    create_app_engine,
    create_owner_engine,
    normalize_url,
)
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade
from manyfutures.adapters.postgres.registry import METADATA
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT
from tests.support.ci import on_ci

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = [table.name for table in METADATA.sorted_tables]


class DatabaseUnavailableError(RuntimeError):
    pass


def libpq_conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _answers(url: URL) -> bool:
    try:
        with psycopg.connect(libpq_conninfo(url), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@dataclass
class MigratedDatabase:
    """One migrated database plus the engines tests use."""

    server_url: URL
    name: str
    app_role: str
    scheduler_role: str
    app_password: str
    owner_engine: Engine = field(init=False)
    app_engine: Engine = field(init=False)

    @property
    def owner_url(self) -> URL:
        return self.server_url.set(database=self.name)

    @property
    def app_url(self) -> URL:
        return self.owner_url.set(username=self.app_role, password=self.app_password)

    @contextmanager
    def scratch(self, suffix: str) -> Iterator[URL]:
        """An empty database ``<name>_<suffix>`` on the same server, for migrating from nothing.

        Dropped however the block ends, with FORCE: a failed test may leave a
        connection to it open.
        """
        name = f"{self.name}_{suffix}"
        admin = create_owner_engine(self.server_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                yield self.server_url.set(database=name)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    owner_bypasses_rls: bool = field(init=False, default=False)

    def open(self) -> None:
        self.owner_engine = create_app_engine(self.owner_url, PoolOptions(size=2))
        self.app_engine = create_app_engine(self.app_url, PoolOptions(size=4, max_overflow=8))
        with self.owner_engine.connect() as connection:
            self.owner_bypasses_rls = bool(
                connection.execute(
                    text(
                        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
                    )
                ).scalar_one()
            )

    def reset(self) -> None:
        """Empty every table: cheaper than a new database, as clean for the next test.

        DELETE takes ~10 ms for these tiny tables where TRUNCATE takes ~200 ms, but
        an owner bound by (forced) row-level security would delete nothing, so such
        an owner truncates instead.

        A test that failed inside an open unit of work can leave a pooled connection
        idle in a transaction, holding locks TRUNCATE would wait on forever; those
        sessions are ended first; the unit of work replaces such a dead pooled
        connection on its first statement.
        """
        with self.owner_engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND usename = :role "
                    "AND state LIKE 'idle in transaction%'"
                ),
                {"role": self.app_role},
            )
            if self.owner_bypasses_rls:
                statements = "; ".join(f"DELETE FROM {name}" for name in reversed(TABLES))
                connection.execute(text(statements))
            else:
                connection.execute(text(f"TRUNCATE {', '.join(TABLES)}"))

    def close(self) -> None:
        self.app_engine.dispose()
        self.owner_engine.dispose()


class _ThrowawayServer:
    """A private PostgreSQL from the installed binaries, for machines without a running one."""

    def __init__(self) -> None:
        from port_for import get_port
        from pytest_postgresql.executors.proc import PostgreSQLExecutor

        pg_ctl = _newest_pg_ctl()
        self.workdir = Path(tempfile.mkdtemp(prefix="manyfutures-pg-"))
        executable = pg_ctl
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run it as the packaged `postgres` user.
            executable = self._as_postgres_user(pg_ctl)
        port = get_port(None)
        assert port is not None
        self.port = int(port)
        self.executor = PostgreSQLExecutor(
            executable=executable,
            host="127.0.0.1",
            port=self.port,
            datadir=str(self.workdir / "data"),
            unixsocketdir=str(self.workdir),
            logfile=str(self.workdir / "postgresql.log"),
            startparams="-w",
            dbname="postgres",
            user="postgres",
        )
        self.executor.start()

    @property
    def url(self) -> URL:
        return make_url(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres")

    def _as_postgres_user(self, pg_ctl: str) -> str:
        shutil.chown(self.workdir, "postgres", "postgres")
        wrapper = self.workdir / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- "{pg_ctl}" "$@"\n')
        wrapper.chmod(0o755)
        return str(wrapper)

    def stop(self) -> None:
        try:
            self.executor.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _newest_pg_ctl() -> str:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        found = shutil.which("pg_ctl")
        if found is None:
            raise DatabaseUnavailableError(
                "no PostgreSQL answers and no server binaries (pg_ctl) are installed"
            )
        return found
    return candidates[-1]


def _server_url() -> tuple[URL, _ThrowawayServer | None]:
    url = normalize_url(os.environ.get("MANYFUTURES_TEST_DATABASE_URL") or DEFAULT_SERVER_URL)
    if _answers(url):
        return url, None
    if on_ci():
        raise DatabaseUnavailableError(
            f"CI=true and no PostgreSQL answers at {url.render_as_string()}; "
            "the Postgres tests must run on CI, so this is a failure, not a skip"
        )
    server = _ThrowawayServer()
    return server.url, server


def _create(server_url: URL) -> MigratedDatabase:
    token = secrets.token_hex(4)
    database = MigratedDatabase(
        server_url=server_url,
        name=f"manyfutures_test_{token}",
        app_role=f"manyfutures_test_app_{token}",
        scheduler_role=f"manyfutures_test_scheduler_{token}",
        app_password=secrets.token_urlsafe(16),
    )
    admin = create_owner_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database.name}"'))
    admin.dispose()
    config = alembic_config(
        database.owner_url.render_as_string(hide_password=False),
        app_role=database.app_role,
        scheduler_role=database.scheduler_role,
    )
    upgrade(config)
    owner = create_owner_engine(database.owner_url)
    with owner.begin() as connection:
        # A password makes the app role usable on servers that do not trust local users.
        connection.execute(
            text(f"ALTER ROLE {database.app_role} PASSWORD '{database.app_password}'")
        )
    owner.dispose()
    database.open()
    return database


def _drop(database: MigratedDatabase) -> None:
    database.close()
    admin = create_owner_engine(database.server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)'))
        for role in (database.app_role, database.scheduler_role):
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
    admin.dispose()


@contextmanager
def session_database() -> Iterator[MigratedDatabase]:
    """A fresh migrated database, dropped with its roles (and any throwaway server) after."""
    url, server = _server_url()
    try:
        database = _create(url)
        try:
            yield database
        finally:
            _drop(database)
    finally:
        if server is not None:
            server.stop()


@contextmanager
def tenant_transaction(engine: Engine, organization_id: str | None) -> Iterator[Connection]:
    """A raw transaction scoped the way the unit of work scopes one (None: no org set at all)."""
    with engine.begin() as connection:
        if organization_id is not None:
            connection.execute(SET_TENANT, {"org": organization_id})
        yield connection
