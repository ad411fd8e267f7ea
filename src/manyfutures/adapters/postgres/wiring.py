"""What the composition root needs from this adapter: the service's engine and its probe.

The engine is built by a container provider on first use, never at import time,
and each process builds its own (a forked worker must not reuse its parent's pool).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text

from manyfutures.adapters.postgres.engine import (
    ROLE_FACTS_SQL,
    PoolOptions,
    app_url,
    check_role_facts,
    create_app_engine,
    live_connection,
    parse_prepare_threshold,
    role_facts,
)
from manyfutures.adapters.readiness import CallableProbe


def service_engine(
    database_url: str,
    app_database_url: str,
    app_role: str,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    prepare_threshold: str,
) -> Engine:
    """The app role's pooled engine, which refuses to work as a role RLS does not bind."""
    engine = create_app_engine(
        app_url(database_url, app_database_url, app_role),
        PoolOptions(
            size=pool_size,
            max_overflow=max_overflow,
            timeout_seconds=pool_timeout,
            prepare_threshold=parse_prepare_threshold(prepare_threshold),
        ),
    )
    guard_row_level_security(engine)
    return engine


def guard_row_level_security(engine: Engine) -> None:
    """Check the connected role on the engine's first connection.

    SQLAlchemy runs ``first_connect`` again on the next connection if it raised, so
    a URL pointing at a superuser, a BYPASSRLS role or the table owner makes every
    database call fail loudly instead of quietly serving every tenant's rows.
    """

    @event.listens_for(engine, "first_connect")
    def _check(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(ROLE_FACTS_SQL)
            facts = role_facts(cursor.fetchone())
        finally:
            cursor.close()
        dbapi_connection.rollback()
        check_role_facts(facts)


def database_probe(engine: Engine) -> CallableProbe:
    def ping() -> None:
        live_connection(engine, text("SELECT 1")).close()

    return CallableProbe("database", ping)
