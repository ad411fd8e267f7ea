"""The scheduler's cross-organization path, through three SECURITY DEFINER functions.

The app role cannot read another tenant's rows; it can only call
``scheduler_due_projects``, ``scheduler_claim_due_items`` and
``scheduler_abandoned_items``, which run as the NOLOGIN scheduler role (see
docs/adr/0002-cross-tenant-scheduler-path.md). The session here sets *no*
organization, so apart from what those functions return, it sees nothing.

``now`` always comes from the injected clock, never from SQL ``now()``: tests
control time, and every process agrees on what "due" means for one tick.

Each call is a single statement run in autocommit: the statement is atomic on its
own, so a surrounding BEGIN/COMMIT and a tenant ``set_config`` would only add round
trips (the connection carries no organization: tenant settings are transaction-local).
The claim is committed before its caller hears of the items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.mappers import queue_item_from_row
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import ScheduleQueueItem

_DUE_PROJECTS = text(
    "SELECT organization_id, resource_id FROM scheduler_due_projects(:now, :limit)"
)
_CLAIM = text("SELECT * FROM scheduler_claim_due_items(:now, :lease, :batch, :max_attempts)")
_ABANDONED = text(
    "SELECT organization_id, resource_id FROM scheduler_abandoned_items(:now, :max_attempts)"
)


class PostgresSchedulerGateway:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        with self._engine.connect() as connection:
            rows = connection.execute(_DUE_PROJECTS, {"now": now, "limit": limit}).all()
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]

    def claim_due_items(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        params = {"now": now, "lease": lease, "batch": batch_size, "max_attempts": max_attempts}
        with self._engine.connect() as connection:
            rows = connection.execute(_CLAIM, params).all()
        return [queue_item_from_row(row) for row in rows]

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        params = {"now": now, "max_attempts": max_attempts}
        with self._engine.connect() as connection:
            rows = connection.execute(_ABANDONED, params).all()
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]
