"""Building engines and URLs: the app's pooled engine and the owner's migration engine.

Two identities touch the database. The *owner* (``MANYFUTURES_DATABASE_URL``) runs
migrations and owns every table. The *app role* (default ``manyfutures_app``) is
what the service connects as: NOSUPERUSER, NOBYPASSRLS, owning nothing, so
row-level security always applies to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)
T = TypeVar("T")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")
DEFAULT_APP_ROLE = "manyfutures_app"
DEFAULT_SCHEDULER_ROLE = "manyfutures_scheduler"


class DatabaseConfigError(ValueError):
    """A database setting that cannot work; raised before anything connects."""


# A transaction scoped to no organization: row-level security shows it no row, so it
# reaches other organizations only through a SECURITY DEFINER function (ADR 0007).
NO_TENANT = text("SELECT set_config('app.current_org_id', '', true)")


def check_role_name(name: str) -> str:
    """Role names are spliced into DDL, so only plain lower-case identifiers are accepted."""
    if not ROLE_NAME.match(name):
        raise DatabaseConfigError(
            f"role name {name!r} must be a lower-case identifier ([a-z_][a-z0-9_]*, ≤ 63 chars)"
        )
    return name


def normalize_url(raw: str) -> URL:
    """Accept the ``postgres://`` / ``postgresql://`` URLs hosts hand out; use psycopg 3."""
    if not raw:
        raise DatabaseConfigError("no database URL: set MANYFUTURES_DATABASE_URL")
    url = make_url(raw)
    if url.drivername in {"postgres", "postgresql", "postgresql+psycopg"}:
        return url.set(drivername="postgresql+psycopg")
    raise DatabaseConfigError(
        f"database URL must be postgresql+psycopg://…, not {url.drivername}://…"
    )


def app_url(owner_url: str, app_database_url: str, app_role: str) -> URL:
    """The URL the service connects with.

    ``MANYFUTURES_APP_DATABASE_URL`` when given (production: the app role's own
    password, or Supabase's pooler user ``manyfutures_app.<project-ref>``);
    otherwise the owner URL with the app role as user and no password, which suits
    local servers with trust or peer authentication.
    """
    if app_database_url:
        return normalize_url(app_database_url)
    return normalize_url(owner_url).set(username=check_role_name(app_role), password=None)


def parse_prepare_threshold(raw: str) -> int | None:
    """``none`` turns psycopg's server-side prepared statements off (transaction poolers)."""
    value = raw.strip().lower()
    if value in {"none", "off", "disabled", "null"}:
        return None
    try:
        threshold = int(value)
    except ValueError:
        raise DatabaseConfigError(
            f"prepare threshold {raw!r} must be a whole number or 'none'"
        ) from None
    if threshold < 0:
        raise DatabaseConfigError("prepare threshold must not be negative; use 'none' to disable")
    return threshold


@dataclass(frozen=True, slots=True)
class PoolOptions:
    size: int = 5
    max_overflow: int = 5
    timeout_seconds: float = 10.0
    recycle_seconds: int = 1800
    prepare_threshold: int | None = 5
    application_name: str = "manyfutures"


def create_app_engine(url: URL | str, options: PoolOptions | None = None) -> Engine:
    """A pooled engine, without a ping per checkout.

    A connection a pooler or failover dropped is noticed by the first statement on it
    (``live_connection``), so no request pays a round trip for a ``pool_pre_ping``.

    Engines are per process: after ``fork`` a child must build its own (or call
    ``engine.dispose(close=False)``) so no pooled connection is shared across processes.
    """
    options = options or PoolOptions()
    target = normalize_url(url) if isinstance(url, str) else url
    engine = create_engine(
        target,
        pool_size=options.size,
        max_overflow=options.max_overflow,
        pool_timeout=options.timeout_seconds,
        pool_recycle=options.recycle_seconds,
        connect_args={
            "prepare_threshold": options.prepare_threshold,
            "application_name": options.application_name,
            "connect_timeout": 10,
        },
    )
    # The unit of work runs the driver in autocommit (unit_of_work.py, "One message
    # starts it"); every connection goes back to the pool in transactional mode.
    event.listen(engine, "checkin", _leave_autocommit)
    return engine


def _leave_autocommit(dbapi_connection: Any, _record: Any) -> None:
    """Pool ``checkin``: a connection goes back in the driver's transactional mode."""
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def live_connection(
    engine: Engine, first: Executable, parameters: dict[str, Any] | None = None
) -> Connection:
    """A pooled connection on which ``first`` has run, which proved it alive.

    Instead of pinging every checkout, the caller's own first statement is the check:
    if it fails because the pooled connection was dead, nothing has happened on it
    yet, so it is run once more on a fresh connection (SQLAlchemy has by then
    invalidated every older pooled connection). A second failure is a real outage.
    ``first`` is run twice in that case, so it must not change anything.
    """
    return live_execute(engine, first, parameters)[0]


def live_execute(
    engine: Engine, first: Executable, parameters: dict[str, Any] | None = None
) -> tuple[Connection, CursorResult[Any]]:
    """``live_connection``, with ``first``'s result, for a caller that wants its rows."""
    return live_started(engine, lambda connection: connection.execute(first, parameters))


def live_started(engine: Engine, start: Callable[[Connection], T]) -> tuple[Connection, T]:
    """A pooled connection on which ``start`` has run, and what it returned: the liveness
    check of ``live_connection`` for a first step that is more than one statement."""
    for attempt in (1, 2):
        connection = engine.connect()
        try:
            return connection, start(connection)
        except BaseException as error:
            connection.close()
            retry = isinstance(error, DBAPIError) and error.connection_invalidated
            if not retry or attempt == 2:
                raise
            logger.warning("a pooled database connection was dead; retrying on a fresh one")
    raise AssertionError("unreachable: the second attempt returns or raises")


def create_owner_engine(url: URL | str) -> Engine:
    """Unpooled: migrations and maintenance connect once and leave."""
    from sqlalchemy.pool import NullPool

    target = normalize_url(url) if isinstance(url, str) else url
    return create_engine(target, poolclass=NullPool, connect_args={"connect_timeout": 10})


@dataclass(frozen=True, slots=True)
class RoleFacts:
    name: str
    superuser: bool
    bypass_rls: bool
    owned_tables: int


ROLE_FACTS_SQL = (
    "SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
    " (SELECT count(*) FROM pg_tables t WHERE t.tableowner = r.rolname)"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


def role_facts(row: Sequence[Any]) -> RoleFacts:
    """A ``ROLE_FACTS_SQL`` row, from SQLAlchemy or straight from the driver."""
    return RoleFacts(str(row[0]), bool(row[1]), bool(row[2]), int(row[3]))


def current_role_facts(engine: Engine) -> RoleFacts:
    with engine.connect() as connection:
        return role_facts(connection.execute(text(ROLE_FACTS_SQL)).one())


def check_role_facts(facts: RoleFacts) -> None:
    """Refuse to serve as a role that row-level security does not bind.

    A superuser or BYPASSRLS role would silently see every tenant's rows, and a
    table owner could switch RLS off; that is a misconfiguration to stop at
    start-up, not a mode to run in.
    """
    if facts.superuser or facts.bypass_rls or facts.owned_tables:
        why = (
            "is a superuser"
            if facts.superuser
            else "has BYPASSRLS"
            if facts.bypass_rls
            else f"owns {facts.owned_tables} tables"
        )
        raise DatabaseConfigError(
            f"the app connects as {facts.name!r}, which {why}; connect as the app role "
            "(MANYFUTURES_APP_DATABASE_URL or MANYFUTURES_DB_APP_ROLE)"
        )
