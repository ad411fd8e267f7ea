"""Scheduling in PostgreSQL: the schedule queue, one item per project slot.

Claiming due items across organizations is not here: it goes through the scheduler's
``SECURITY DEFINER`` functions (``scheduler_gateway``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Index,
    Row,
    UniqueConstraint,
    any_,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_ARRAY,
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    table_of,
    tenant_fk,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.scheduling import ports
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class QueueItemRow(Base):
    __tablename__ = "episode_schedule_queue"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    episode_id: Mapped[Id]
    scheduled_for: Mapped[Timestamp]
    available_at: Mapped[Timestamp]
    status: Mapped[str]
    attempt_count: Mapped[int]
    picked_up_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]
    # Set when the attempt's job opens its run: the lease is then the generation deadline.
    run_opened_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_episode_schedule_queue_org_project_slot",
            "organization_id",
            "project_id",
            "scheduled_for",
        ),
        Index(
            "ix_episode_schedule_queue_org_episode",
            "organization_id",
            "episode_id",
        ),
        # One live item per project slot; a cancelled slot may be filled again.
        Index(
            "uq_episode_schedule_queue_live_slot",
            "project_id",
            "scheduled_for",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        # The claim reads pending items in due order from this index: claimed, finished,
        # blocked and cancelled items are not in it, so no claim wades through them.
        Index(
            "ix_episode_schedule_queue_pending",
            "available_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        # ... and finds expired leases (and abandoned items) among in-flight ones here.
        Index(
            "ix_episode_schedule_queue_leases",
            "lease_expires_at",
            postgresql_where=text("status = 'processing'"),
        ),
        # ... and, at a day's end, the blocked items whose day is over.
        Index(
            "ix_episode_schedule_queue_blocked",
            "available_at",
            "id",
            postgresql_where=text("status = 'blocked'"),
        ),
        one_of("status", QueueStatus),
        CheckConstraint("attempt_count >= 0", name="attempt_count_not_negative"),
    )


# --- statements ---------------------------------------------------------------------------

_queue = table_of(QueueItemRow)
_my_queue = select(_queue).where(_queue.c.organization_id == ORG)
QUEUE_ITEM = _my_queue.where(_queue.c.id == bindparam("id"))
QUEUE_ITEM_FOR_UPDATE = QUEUE_ITEM.with_for_update()
BLOCKED_FOR_UPDATE = (
    _my_queue.where(
        _queue.c.status == QueueStatus.BLOCKED.value,
        _queue.c.available_at >= bindparam("since"),
        _queue.c.available_at < bindparam("before"),
    )
    .order_by(_queue.c.available_at, _queue.c.id)
    .with_for_update()
)
PENDING_DUE_FOR_UPDATE = (
    _my_queue.where(
        _queue.c.status == QueueStatus.PENDING.value,
        _queue.c.available_at < bindparam("before"),
    )
    .order_by(_queue.c.available_at, _queue.c.id)
    .with_for_update(skip_locked=True)
)
QUEUE_ITEM_FOR_SLOT = _my_queue.where(
    _queue.c.project_id == bindparam("project_id"),
    _queue.c.scheduled_for == bindparam("scheduled_for"),
    _queue.c.status != QueueStatus.CANCELLED.value,
)
QUEUE_ITEMS_FOR_PROJECT = _my_queue.where(_queue.c.project_id == bindparam("project_id")).order_by(
    _queue.c.scheduled_for, _queue.c.id
)
QUEUE_ITEMS_FOR_PROJECTS = _my_queue.where(
    _queue.c.project_id == any_(bindparam("project_ids", type_=ID_ARRAY))
).order_by(_queue.c.scheduled_for, _queue.c.id)


# --- mappers ------------------------------------------------------------------------------


def queue_item_to_row(i: ScheduleQueueItem) -> QueueItemRow:
    return QueueItemRow(
        id=i.id,
        organization_id=i.organization_id,
        project_id=i.project_id,
        episode_id=i.episode_id,
        scheduled_for=i.scheduled_for,
        available_at=i.available_at,
        status=i.status.value,
        attempt_count=i.attempt_count,
        picked_up_at=i.picked_up_at,
        lease_expires_at=i.lease_expires_at,
        last_attempt_at=i.last_attempt_at,
        run_opened_at=i.run_opened_at,
        last_error=i.last_error,
        completed_at=i.completed_at,
        created_at=i.created_at,
    )


def queue_item_from_row(r: QueueItemRow | Row[Any] | Any) -> ScheduleQueueItem:
    """Any row with the table's column names as attributes: an ORM object, a Core row,
    or the psycopg named tuple the scheduler's claim returns."""
    return ScheduleQueueItem(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        episode_id=r.episode_id,
        scheduled_for=r.scheduled_for,
        available_at=r.available_at,
        status=QueueStatus(r.status),
        attempt_count=r.attempt_count,
        picked_up_at=r.picked_up_at,
        lease_expires_at=r.lease_expires_at,
        last_attempt_at=r.last_attempt_at,
        run_opened_at=r.run_opened_at,
        last_error=r.last_error,
        completed_at=r.completed_at,
        created_at=r.created_at,
    )


# --- repositories -------------------------------------------------------------------------


class QueueRepository(Repository, ports.ScheduleQueueRepository):
    def add(self, item: ScheduleQueueItem) -> None:
        """A second live item for the slot fails on the partial unique index."""
        self._uow.insert(queue_item_to_row(item))

    def get(self, item_id: str) -> ScheduleQueueItem | None:
        return self._uow.first(QUEUE_ITEM, queue_item_from_row, id=item_id)

    def get_for_update(self, item_id: str) -> ScheduleQueueItem | None:
        """SELECT … FOR UPDATE: the row lock lasts until the transaction ends."""
        return self._uow.first(QUEUE_ITEM_FOR_UPDATE, queue_item_from_row, id=item_id)

    def update(self, item: ScheduleQueueItem) -> None:
        self._update(
            queue_item_to_row(item),
            on_missing=lambda _: NotFoundError("queue item", item.id),
        )

    def find_for_slot(
        self, project_id: str, scheduled_for: dt.datetime
    ) -> ScheduleQueueItem | None:
        return self._uow.first(
            QUEUE_ITEM_FOR_SLOT,
            queue_item_from_row,
            project_id=project_id,
            scheduled_for=scheduled_for,
        )

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        rows = self._uow.rows(QUEUE_ITEMS_FOR_PROJECT, project_id=project_id)
        return [queue_item_from_row(r) for r in rows]

    def list_for_projects(self, project_ids: Sequence[str]) -> Sequence[ScheduleQueueItem]:
        rows = self._uow.rows(QUEUE_ITEMS_FOR_PROJECTS, project_ids=project_ids)
        return [queue_item_from_row(r) for r in rows]

    def blocked_for_update(
        self, since: dt.datetime, before: dt.datetime
    ) -> Sequence[ScheduleQueueItem]:
        rows = self._uow.rows(BLOCKED_FOR_UPDATE, since=since, before=before)
        return [queue_item_from_row(r) for r in rows]

    def pending_due_for_update(self, before: dt.datetime) -> Sequence[ScheduleQueueItem]:
        """FOR UPDATE SKIP LOCKED: a row is re-checked once locked (READ COMMITTED), so a
        claim committed meanwhile drops it, and one being claimed now is skipped."""
        rows = self._uow.rows(PENDING_DUE_FOR_UPDATE, before=before)
        return [queue_item_from_row(r) for r in rows]
