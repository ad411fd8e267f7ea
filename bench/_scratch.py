"""A throwaway database for a bench: created, migrated and dropped with its roles.

The server is ``MANYFUTURES_BENCH_DATABASE_URL`` (default: the local PostgreSQL as
``postgres``), deliberately not the test suite's variable: benches and tests may
be pointed at different servers. The database and its app and scheduler roles get
random names, so a bench never touches another run's (or production's) roles, and
it is migrated as the owner exactly as ``manyfutures db upgrade`` does, so the
bench measures the schema, grants and row-level security production runs with.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import (
    PoolOptions,
    create_app_engine,
    create_owner_engine,
    normalize_url,
)
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.identity.model import Organization

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class ScratchDatabase:
    owner_url: URL
    app_url: URL
    server_version: str
    app_role: str
    scheduler_role: str
    # Empty, unmigrated databases on the same server, for a peer to install itself in.
    peer_urls: tuple[URL, ...]


@contextmanager
def scratch_database(prefix: str, peers: Sequence[str] = ()) -> Iterator[ScratchDatabase]:
    """A migrated ``<prefix>_<token>`` database (and ``<peer>_<token>`` for each peer).

    Everything is dropped afterwards, however the block ends. The databases go
    first: the roles hold grants and own functions in them, and a role cannot be
    dropped while it does.
    """
    server = normalize_url(os.environ.get("MANYFUTURES_BENCH_DATABASE_URL") or DEFAULT_SERVER)
    token = secrets.token_hex(4)
    name = f"{prefix}_{token}"
    peer_names = [f"{peer}_{token}" for peer in peers]
    app_role, scheduler_role = f"bench_app_{token}", f"bench_scheduler_{token}"
    password = secrets.token_urlsafe(16)
    admin = create_owner_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with admin.connect() as connection:
                for peer in peer_names:
                    connection.execute(text(f'CREATE DATABASE "{peer}"'))
            owner_url = server.set(database=name)
            upgrade(
                alembic_config(
                    owner_url.render_as_string(hide_password=False),
                    app_role=app_role,
                    scheduler_role=scheduler_role,
                )
            )
            with admin.connect() as connection:
                connection.execute(text(f"ALTER ROLE {app_role} PASSWORD '{password}'"))
            yield ScratchDatabase(
                owner_url=owner_url,
                app_url=owner_url.set(username=app_role, password=password),
                server_version=version,
                app_role=app_role,
                scheduler_role=scheduler_role,
                peer_urls=tuple(server.set(database=peer) for peer in peer_names),
            )
        finally:
            with admin.connect() as connection:
                for database in (name, *peer_names):
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                for role in (app_role, scheduler_role):
                    connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
    finally:
        admin.dispose()


def tenant_ids(count: int) -> list[str]:
    """``org_000``, ``org_001``, …: benches derive a row's organization from its number."""
    return [f"org_{number:03d}" for number in range(count)]


def add_organizations(app: URL | Engine, org_ids: Iterable[str], at: datetime) -> None:
    """Create the organizations the way the service does, each named after its id.

    Through a unit of work per organization as the app role, so the rows are what
    production writes (defaults included) and row-level security checks each one;
    the owner would bypass it if it is a superuser. A URL gets an engine of its own,
    disposed of afterwards.
    """
    engine = create_app_engine(app, PoolOptions(size=1)) if isinstance(app, URL) else app
    try:
        factory = PostgresUnitOfWorkFactory(engine)
        for org_id in org_ids:
            with factory(org_id) as uow:
                uow.organizations.add(
                    Organization(id=org_id, name=org_id, created_at=at, updated_at=at)
                )
                uow.commit()
    finally:
        if engine is not app:
            engine.dispose()
