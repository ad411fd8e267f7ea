"""The scheduler's cross-organization path, through four SECURITY DEFINER functions.

The app role cannot read another tenant's rows; it can only call
``scheduler_due_projects``, ``scheduler_claim_due_items``,
``scheduler_abandoned_items`` and ``scheduler_blocked_items_before``, which run as
the NOLOGIN scheduler role (see docs/adr/0002-cross-tenant-scheduler-path.md). The
connection here never sets an organization, so apart from what those functions
return, it sees nothing.

``now`` always comes from the injected clock, never from SQL ``now()``: tests
control time, and every process agrees on what "due" means for one tick.

Each call is one statement in autocommit: atomic on its own, committed before the
caller hears of the items. The scheduler claims many times a second under load, so
the gateway keeps one dedicated connection taken from the engine's pool rather than
paying, per call, for a checkout, a transaction and SQLAlchemy's statement handling
(0.45 ms -> 0.11 ms for an empty claim). A call that finds its connection broken
replaces it (checked alive first, see ``engine.live_connection``) and runs once more.

The connection is *detached* from the pool: it runs in autocommit, and a pooled
connection handed back in autocommit would make the next unit of work's
transaction-local ``set_config`` apply to that one statement only.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, text
from sqlalchemy.pool import PoolProxiedConnection

from manyfutures.adapters.postgres.engine import live_connection
from manyfutures.adapters.postgres.scheduling import queue_item_from_row
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import ScheduleQueueItem

_DUE_PROJECTS = (
    "SELECT organization_id, resource_id FROM scheduler_due_projects(%(now)s, %(limit)s)"
)
_CLAIM = "SELECT * FROM scheduler_claim_due_items(%(now)s, %(lease)s, %(batch)s, %(max_attempts)s)"
_PING = text("SELECT 1")
_ABANDONED = (
    "SELECT organization_id, resource_id FROM scheduler_abandoned_items(%(now)s, %(max_attempts)s)"
)

_BLOCKED_BEFORE = (
    "SELECT organization_id, resource_id "
    "FROM scheduler_blocked_items_before(%(day_start)s, %(limit)s)"
)


class PostgresSchedulerGateway:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._connection: PoolProxiedConnection | None = None
        self._driver: psycopg.Connection[Any]
        # A connection inherited across fork() belongs to the parent: closing it here
        # would end the parent's session, so it is only kept from garbage collection.
        self._inherited: list[PoolProxiedConnection] = []
        forget = weakref.WeakMethod(self._forget_parent_connection)
        os.register_at_fork(after_in_child=lambda: _call_if_alive(forget))

    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        rows = self._run(_DUE_PROJECTS, {"now": now, "limit": limit})
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]

    def claim_due_items(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        params = {"now": now, "lease": lease, "batch": batch_size, "max_attempts": max_attempts}
        return [queue_item_from_row(row) for row in self._run(_CLAIM, params)]

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        rows = self._run(_ABANDONED, {"now": now, "max_attempts": max_attempts})
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]

    def blocked_items_before(self, day_start: datetime, limit: int) -> Sequence[TenantRef]:
        rows = self._run(_BLOCKED_BEFORE, {"day_start": day_start, "limit": limit})
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]

    def _run(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        with self._lock:
            for last_try in (False, True):
                connection = self._driver_connection()
                try:
                    with connection.cursor(row_factory=namedtuple_row) as cursor:
                        return cursor.execute(sql, params).fetchall()
                except psycopg.OperationalError:
                    if not connection.broken or last_try:
                        raise
                    self._discard()
        raise AssertionError("unreachable: the last try returns or raises")

    def _forget_parent_connection(self) -> None:
        """In a forked child: a fresh lock (the parent's may be held) and no connection."""
        self._lock = threading.Lock()
        if self._connection is not None:
            self._inherited.append(self._connection)
            self._connection = None

    def _driver_connection(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            # Checked with a statement first: after a restart the pool may still hold
            # dead connections, and this is the moment to let SQLAlchemy clear them.
            checked = live_connection(self._engine, _PING)
            checked.rollback()
            connection = checked.connection
            driver = connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            connection.detach()
            driver.autocommit = True
            self._connection, self._driver = connection, driver
        return self._driver

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _call_if_alive(method: weakref.WeakMethod[Any]) -> None:
    bound = method()
    if bound is not None:
        bound()
