"""The outbox in PostgreSQL: its table, statements, mapper, repository and gateway.

The app role may read and insert messages in its own organization (the repository)
and nothing more: every change after the insert, in any organization, is made by
the dispatcher through SECURITY DEFINER functions (migrations 0003 and 0007, listed with
their reasons in docs/adr/0007-cross-tenant-functions.md). The gateway calls each in
its own short transaction on a pooled connection, scoped to no organization, so apart
from what the functions return it sees nothing; the dispatcher calls a few times a
second at most, so the dedicated connection the scheduler's hot claim needs
(ADR 0002, addendum) would buy nothing here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CheckConstraint, Engine, Index, bindparam, select, text
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import Base, Id, Timestamp, one_of, org_fk, table_of
from manyfutures.adapters.postgres.engine import NO_TENANT, live_connection
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.outbox import ports
from manyfutures.core.outbox.model import OutboxMessage, OutboxStatus


class OutboxMessageRow(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    recipient: Mapped[str]
    subject: Mapped[str]
    body: Mapped[str]
    html: Mapped[str | None]
    list_unsubscribe: Mapped[str | None]
    status: Mapped[str]
    attempts: Mapped[int]
    available_at: Mapped[Timestamp]
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    created_at: Mapped[Timestamp]
    sent_at: Mapped[dt.datetime | None]
    dead_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_outbox_messages_organization_id_id", "organization_id", "id"),
        # The claim reads pending messages in due order here; sent and dead ones (nearly
        # every row, in time) are not in it.
        Index(
            "ix_outbox_messages_due",
            "available_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        # The operators' read of dead messages, newest first.
        Index("ix_outbox_messages_dead", "id", postgresql_where=text("status = 'dead'")),
        one_of("status", OutboxStatus),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL) "
            "AND (status = 'dead') = (dead_at IS NOT NULL)",
            name="outcome_times",
        ),
    )


def message_to_row(m: OutboxMessage) -> OutboxMessageRow:
    return OutboxMessageRow(
        id=m.id,
        organization_id=m.organization_id,
        recipient=m.recipient,
        subject=m.subject,
        body=m.body,
        html=m.html,
        list_unsubscribe=m.list_unsubscribe,
        status=m.status.value,
        attempts=m.attempts,
        available_at=m.available_at,
        lease_until=m.lease_until,
        last_error=m.last_error,
        created_at=m.created_at,
        sent_at=m.sent_at,
        dead_at=m.dead_at,
    )


def message_from_row(r: Any) -> OutboxMessage:
    return OutboxMessage(
        id=r.id,
        organization_id=r.organization_id,
        recipient=r.recipient,
        subject=r.subject,
        body=r.body,
        html=r.html,
        list_unsubscribe=r.list_unsubscribe,
        status=OutboxStatus(r.status),
        attempts=r.attempts,
        available_at=r.available_at,
        lease_until=r.lease_until,
        last_error=r.last_error,
        created_at=r.created_at,
        sent_at=r.sent_at,
        dead_at=r.dead_at,
    )


_messages = table_of(OutboxMessageRow)
MESSAGE = select(_messages).where(
    _messages.c.organization_id == ORG, _messages.c.id == bindparam("id")
)


class OutboxRepository(Repository, ports.OutboxRepository):
    def add(self, message: OutboxMessage) -> None:
        self._uow.insert(message_to_row(message))

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._uow.first(MESSAGE, message_from_row, id=message_id)


# Each call's transaction starts with NO_TENANT (RLS then shows no row), the first
# statement, so a dead pooled connection is found and replaced before any call.
_CLAIM = text("SELECT * FROM outbox_claim_due(:now, :lease, :batch, :max_attempts)")
_MARK_SENT = text("SELECT outbox_mark_sent(:id, :now)")
_RECORD_FAILURE = text("SELECT outbox_record_failure(:id, :attempt, :error, :retry_at, :now)")
_DEAD = text("SELECT * FROM outbox_dead_messages(:limit, :after_id)")
_DUE_COUNT = text("SELECT outbox_due_count(:now, :cap)")


class PostgresOutboxGateway:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_due(
        self, now: dt.datetime, lease: dt.timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[OutboxMessage]:
        params = {"now": now, "lease": lease, "batch": batch_size, "max_attempts": max_attempts}
        return [message_from_row(row) for row in self._call(_CLAIM, params)]

    def mark_sent(self, message: OutboxMessage) -> bool:
        assert message.sent_at is not None, "mark the message sent first"
        (row,) = self._call(_MARK_SENT, {"id": message.id, "now": message.sent_at})
        return bool(row[0])

    def record_failure(self, message: OutboxMessage) -> bool:
        dead = message.status is OutboxStatus.DEAD
        params = {
            "id": message.id,
            "attempt": message.attempts,
            "error": message.last_error,
            "retry_at": None if dead else message.available_at,
            "now": message.dead_at,
        }
        (row,) = self._call(_RECORD_FAILURE, params)
        return bool(row[0])

    def dead_messages(self, limit: int, after_id: str | None = None) -> Sequence[OutboxMessage]:
        rows = self._call(_DEAD, {"limit": limit, "after_id": after_id})
        return [message_from_row(row) for row in rows]

    def count_due(self, now: dt.datetime, cap: int) -> int:
        (row,) = self._call(_DUE_COUNT, {"now": now, "cap": cap})
        return int(row[0])

    def _call(self, statement: Any, params: Mapping[str, Any]) -> list[Any]:
        """One function call in its own transaction, committed before the result is used."""
        connection = live_connection(self._engine, NO_TENANT)
        try:
            rows = list(connection.execute(statement, dict(params)).all())
            connection.commit()
            return rows
        finally:
            connection.close()
