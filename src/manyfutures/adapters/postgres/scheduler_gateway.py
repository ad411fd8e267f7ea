"""The scheduler's cross-organization path, through three SECURITY DEFINER functions.

The app role cannot read another tenant's rows; it can only call
``scheduler_due_projects``, ``scheduler_claim_due_items`` and
``scheduler_abandoned_items``, which run as the NOLOGIN scheduler role (see
docs/adr/0002-cross-tenant-scheduler-path.md). The session here sets *no*
organization, so apart from what those functions return, it sees nothing.

``now`` always comes from the injected clock, never from SQL ``now()``: tests
control time, and every process agrees on what "due" means for one tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, text

from manyfutures.adapters.postgres.mappers import queue_item_from_row
from manyfutures.adapters.postgres.tables import QueueItemRow
from manyfutures.adapters.postgres.unit_of_work import tenant_sessions
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import ScheduleQueueItem

_DUE_PROJECTS = text(
    "SELECT organization_id, resource_id FROM scheduler_due_projects(:now, :limit)"
)
_CLAIM = text("SELECT * FROM scheduler_claim_due_items(:now, :lease, :batch, :max_attempts)")
_ABANDONED = text(
    "SELECT organization_id, resource_id FROM scheduler_abandoned_items(:now, :max_attempts)"
)
NO_ORGANIZATION = ""


class PostgresSchedulerGateway:
    def __init__(self, engine: Engine) -> None:
        self._sessions = tenant_sessions(engine)

    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        with self._sessions(info={"organization_id": NO_ORGANIZATION}) as session:
            rows = session.execute(_DUE_PROJECTS, {"now": now, "limit": limit}).all()
            session.commit()
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]

    def claim_due_items(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[ScheduleQueueItem]:
        """One statement claims the batch; it is committed before anyone is told."""
        params = {"now": now, "lease": lease, "batch": batch_size, "max_attempts": max_attempts}
        with self._sessions(info={"organization_id": NO_ORGANIZATION}) as session:
            rows = session.scalars(select(QueueItemRow).from_statement(_CLAIM), params).all()
            items = [queue_item_from_row(row) for row in rows]
            session.commit()
        return items

    def abandoned_items(self, now: datetime, max_attempts: int) -> Sequence[TenantRef]:
        params = {"now": now, "max_attempts": max_attempts}
        with self._sessions(info={"organization_id": NO_ORGANIZATION}) as session:
            rows = session.execute(_ABANDONED, params).all()
            session.commit()
        return [TenantRef(row.organization_id, row.resource_id) for row in rows]
