"""Activity in PostgreSQL: user events, the audit log and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, text
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import ID_TYPE, Base, Id, Timestamp, org_fk

# --- rows ---------------------------------------------------------------------------------


class UserEventRow(Base):
    __tablename__ = "user_events"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[str | None] = mapped_column(ID_TYPE)
    event_type: Mapped[str]
    event_data: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'"))
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index(
            "ix_user_events_organization_id_event_type_id", "organization_id", "event_type", "id"
        ),
        Index("ix_user_events_organization_id_created_at", "organization_id", "created_at"),
    )


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[str | None] = mapped_column(ID_TYPE)
    action: Mapped[str]
    resource_type: Mapped[str]
    resource_id: Mapped[str | None] = mapped_column(ID_TYPE)
    old_value: Mapped[str | None]
    new_value: Mapped[str | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_audit_log_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_audit_log_organization_id_resource_id",
            "organization_id",
            "resource_id",
            postgresql_where=text("resource_id IS NOT NULL"),
        ),
    )


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    kind: Mapped[str]
    title: Mapped[str]
    body: Mapped[str]
    link: Mapped[str | None]
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_notifications_organization_id_user_id_id", "organization_id", "user_id", "id"),
    )
