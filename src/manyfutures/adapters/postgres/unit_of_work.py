"""The PostgreSQL unit of work: one connection and transaction, scoped to one organization.

It knows no entity. Each store (``uow.projects``, ``uow.queue``, …) is a repository
from its capability's module, named in ``registry.REPOSITORIES`` and built on first
use; the repositories read and write through the methods below.

Tenant scope. Every transaction the unit of work begins, including the fresh one
after a ``commit()`` or ``rollback()`` when a unit of work is reused, starts with
``SELECT set_config('app.current_org_id', <org>, true)``. The ``true`` makes the
setting transaction-local: a session-level ``SET`` would stay on the pooled
connection and leak the tenant into the next request that borrows it. Row-level
security then limits every statement to that organization; the repositories
*also* filter by ``organization_id`` (so indexes that lead with it are used) and
refuse, in Python, to write another organization's row — the policies' WITH
CHECK is defence in depth, not the first line.

Writes are staged and sent in order at the next read or at ``commit()`` (the
same "read your own writes, keep nothing without commit" contract as the
in-memory adapter). Deferring them means two open units of work inserting the
same schedule slot do not block each other on the unique index until one of them
commits; the loser then gets ``DuplicateError``. An error while sending rolls the
whole transaction back: the unit of work is clean again, as after ``rollback()``.

Ending. Leaving the ``with`` block rolls back whatever was not committed, except
in a unit of work that sent nothing but reads (``rows``/``first`` and the tenant
setting) and ends without an error: its transaction is ended with COMMIT, which for
a transaction that changed nothing is the same as a rollback. The difference is the
driver's: psycopg forgets every statement it prepared on the connection at each
ROLLBACK (and sends ``DEALLOCATE ALL``), so the next requests would re-parse and
re-plan their statements. Any staged write, and every ``now()`` (an action that may
write), marks the transaction as written, and a written transaction is always
rolled back unless committed.

One message starts it. psycopg begins a transaction by sending ``BEGIN`` on its own,
a round trip before the first statement. The unit of work instead puts the driver
in autocommit mode (so psycopg sends no ``BEGIN``) and sends ``BEGIN`` and the tenant
setting together as one simple-protocol query, the organization id quoted by
psycopg; the rest of the transaction is unchanged (psycopg's ``commit()`` and
``rollback()`` end whatever transaction the server has open). The pool's ``checkin``
hook (``engine.create_app_engine``) takes the driver out of autocommit before a
connection goes back, so no other user of the engine ever gets one in that mode.

Liveness. Pooled connections are not pinged at checkout (a round trip on every
request); the tenant-scoping statement, always sent first, doubles as the check and
is retried once on a fresh connection if the pooled one was dead
(``engine.live_started``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from psycopg import sql
from sqlalchemy import Connection, Engine, Select, Table, text
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import DBAPIError

from manyfutures.adapters.postgres.base import Base, column_values, table_of, tenant_column
from manyfutures.adapters.postgres.engine import live_started
from manyfutures.adapters.postgres.registry import REPOSITORIES
from manyfutures.adapters.postgres.repository import Repository
from manyfutures.core.shared.errors import DuplicateError, NotFoundError, PermissionDeniedError
from manyfutures.core.storage import StorageUnitOfWork

T = TypeVar("T")
logger = logging.getLogger(__name__)
SET_TENANT = text("SELECT set_config('app.current_org_id', :org, true)")
BEGIN_SCOPED = sql.SQL("BEGIN; SELECT set_config('app.current_org_id', {}, true)")
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"


def map_database_error(error: DBAPIError) -> Exception | None:
    """The domain error a database refusal means, or None if it is a bug to surface.

    A privilege or row-level security refusal (42501) is always a bug, since
    ``check_tenant`` refuses cross-tenant writes first: it stays a server error that
    monitoring sees, never a 403 that blames the client.

    The domain error's message reaches clients as a problem's detail, so it names no
    constraint, table, column or value; those go to the log.
    """
    code = getattr(error.orig, "sqlstate", None)
    if code not in (_UNIQUE_VIOLATION, _FOREIGN_KEY_VIOLATION):
        return None
    diagnostics = getattr(error.orig, "diag", None)
    logger.info(
        "database refused a write (%s, %s): %s",
        code,
        getattr(diagnostics, "constraint_name", None),
        getattr(diagnostics, "message_detail", None) or error.orig,
    )
    if code == _UNIQUE_VIOLATION:
        return DuplicateError("a record with the same identity already exists")
    return NotFoundError("a referenced record")


@dataclass
class _Insert:
    table: Table
    rows: list[dict[str, Any]] = field(default_factory=list)

    def run(self, connection: Connection) -> None:
        connection.execute(sa_insert(self.table), self.rows)


@dataclass
class _Call:
    action: Callable[[Connection], None]

    def run(self, connection: Connection) -> None:
        self.action(connection)


class PostgresUnitOfWork:
    def __init__(self, engine: Engine, organization_id: str) -> None:
        self.organization_id = organization_id
        self._engine = engine
        self._open: Connection | None = None
        self._staged: list[_Insert | _Call] = []
        self._wrote = False
        self.loaded_versions: dict[str, int] = {}

    def __getattr__(self, name: str) -> Repository:
        """A store's repository (``uow.projects``), built from the registry on first use.

        Python asks here only for an attribute the instance does not have, and the
        repository is then kept as one, so this runs once per store per unit of work.
        A request touches two or three stores: building all fourteen repositories on
        every unit of work would be work the API's latency pays for.
        """
        build = REPOSITORIES.get(name)
        if build is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )
        repository = self.__dict__[name] = build(self)
        return repository

    # --- the protocol ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self._wrote and not self._staged:
                self._end_reads()
            else:
                self.rollback()
        finally:
            if self._open is not None:
                self._open.close()
                self._open = None

    def commit(self) -> None:
        self.flush()
        if self._open is not None:
            self._run(self._open.commit)
        self._wrote = False
        self.loaded_versions = {}

    def rollback(self) -> None:
        self._staged = []
        self._wrote = False
        self.loaded_versions = {}
        if self._open is not None:
            self._open.rollback()

    def _end_reads(self) -> None:
        """End a transaction that only read with COMMIT, keeping the prepared statements."""
        self.loaded_versions = {}
        if self._open is not None and self._open.in_transaction():
            self._run(self._open.commit)

    # --- for the repositories ---------------------------------------------------------------

    def flush(self) -> None:
        """Send staged writes, in the order they were made."""
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        self._wrote = True
        connection = self._run(self._scoped_connection)
        for write in staged:
            self._run(partial(write.run, connection))

    def insert(self, row: Base) -> None:
        table = table_of(row)
        values = column_values(row)
        self.check_tenant(table, values)
        last = self._staged[-1] if self._staged else None
        if not isinstance(last, _Insert) or last.table is not table:
            last = _Insert(table)
            self._staged.append(last)
        last.rows.append(values)

    def later(self, action: Callable[[Connection], None]) -> None:
        self._staged.append(_Call(action))

    def now(self, action: Callable[[Connection], T]) -> T:
        """Run a statement right away, after whatever is staged; it may write."""
        self._wrote = True
        return self._read(action)

    def _read(self, action: Callable[[Connection], T]) -> T:
        self.flush()
        connection = self._run(self._scoped_connection)
        return self._run(partial(action, connection))

    def rows(self, statement: Select[Any], **parameters: Any) -> Sequence[Any]:
        """Run a prebuilt statement (a capability module's) for this organization's ``:org``.

        The rows are Core rows, not ORM instances: no identity map, so a row read twice
        always reflects the writes sent in between. They answer the same column
        attributes as the mapped class, which is all the mappers read.

        It is for reads only (the capability modules' SELECTs of tables, no writing
        function or CTE): it leaves the transaction unwritten, so a unit of work that
        only read ends with COMMIT. A statement that may write goes through ``now()``.
        """
        parameters["org"] = self.organization_id
        return self._read(lambda connection: connection.execute(statement, parameters).all())

    def first(
        self, statement: Select[Any], mapper: Callable[[Any], T], **parameters: Any
    ) -> T | None:
        """The first row a prebuilt statement matches, mapped; None if it matches none."""
        rows = self.rows(statement, **parameters)
        return mapper(rows[0]) if rows else None

    def check_tenant(self, table: Table, values: dict[str, Any]) -> None:
        """Every write passes here: refused in Python before row-level security has to."""
        column = tenant_column(table)
        if column is not None and values[column] != self.organization_id:
            key = "/".join(str(values[c.name]) for c in table.primary_key.columns)
            raise PermissionDeniedError(f"{table.name} row {key} belongs to another organization")

    def _scoped_connection(self) -> Connection:
        """The connection, inside a transaction already scoped to this organization."""
        if self._open is None:
            self._open = live_started(self._engine, self._begin)[0]
        elif not self._open.in_transaction():
            self._begin(self._open)
        return self._open

    def _begin(self, connection: Connection) -> None:
        """BEGIN and the tenant setting in one round trip (module docstring)."""
        driver: Any = connection.connection.driver_connection  # psycopg's Connection
        driver.autocommit = True
        scoped = BEGIN_SCOPED.format(sql.Literal(self.organization_id)).as_string(driver)
        # Two statements in one query cannot be prepared: with a threshold of 0 psycopg
        # would try on the first use.
        threshold, driver.prepare_threshold = driver.prepare_threshold, None
        try:
            connection.exec_driver_sql(scoped)
        finally:
            driver.prepare_threshold = threshold

    def _run(self, action: Callable[[], T]) -> T:
        """Any failure rolls the whole transaction back, so no half of it can be committed."""
        try:
            return action()
        except DBAPIError as error:
            mapped = map_database_error(error)
            self.rollback()
            if mapped is None:
                raise
            raise mapped from error
        except BaseException:
            self.rollback()
            raise


class PostgresUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, organization_id: str) -> StorageUnitOfWork:
        # The stores are attributes only once built (``__getattr__``), which mypy cannot
        # follow; tests/unit/adapters/test_postgres_registry.py proves each is there.
        return cast(StorageUnitOfWork, PostgresUnitOfWork(self._engine, organization_id))
