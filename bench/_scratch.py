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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import create_owner_engine, normalize_url
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade

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
