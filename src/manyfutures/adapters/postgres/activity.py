"""Activity in PostgreSQL: user events, the audit log and notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Index,
    Select,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import ID_TYPE, Base, Id, Timestamp, org_fk, table_of
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.activity import ports
from manyfutures.core.activity.event_types import FIRST_EPISODE_OPENED
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.shared.errors import NotFoundError

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
        # A user's first opened episode is recorded once, however many opens race to it.
        Index(
            "uq_user_events_first_episode_opened",
            "organization_id",
            "user_id",
            unique=True,
            postgresql_where=text(f"event_type = '{FIRST_EPISODE_OPENED}'"),
        ),
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


# --- statements ---------------------------------------------------------------------------

_events = table_of(UserEventRow)
EVENTS = select(_events).where(_events.c.organization_id == ORG).order_by(_events.c.id)
EVENTS_OF_TYPE = EVENTS.where(_events.c.event_type == bindparam("event_type"))
EVENTS_BETWEEN = EVENTS.where(
    _events.c.created_at >= bindparam("since"), _events.c.created_at < bindparam("until")
)
USER_EVENT_OF_TYPE = (
    select(_events.c.id)
    .where(
        _events.c.organization_id == ORG,
        _events.c.event_type == bindparam("event_type"),
        _events.c.user_id == bindparam("user_id"),
    )
    .limit(1)
)

_audit_log = table_of(AuditLogRow)
_AUDIT_LOG_PAGE = (
    select(_audit_log)
    .where(_audit_log.c.organization_id == ORG)
    .order_by(_audit_log.c.id.desc())
    .limit(bindparam("limit"))
)
_AUDIT_LOG_FILTERS: dict[str, ColumnElement[bool]] = {
    "action": _audit_log.c.action == bindparam("action"),
    "resource_id": _audit_log.c.resource_id == bindparam("resource_id"),
    "resource_type": _audit_log.c.resource_type == bindparam("resource_type"),
    "since": _audit_log.c.created_at >= bindparam("since"),
    "until": _audit_log.c.created_at < bindparam("until"),
    "after": _audit_log.c.id < bindparam("after"),
}


@cache
def audit_log_page(filters: frozenset[str]) -> Select[Any]:
    """The page for the filters given, each of the 64 combinations built on first use.

    Prebuilding every combination by hand would be 64 names; an ``(:x IS NULL OR ...)``
    statement would be one, but would hide the filters from the planner.
    """
    unknown = filters - _AUDIT_LOG_FILTERS.keys()
    if unknown:
        raise ValueError(f"no audit log filter named {', '.join(sorted(unknown))}")
    return _AUDIT_LOG_PAGE.where(
        *(clause for name, clause in _AUDIT_LOG_FILTERS.items() if name in filters)
    )


_notifications = table_of(NotificationRow)
NOTIFICATIONS_FOR_USER = (
    select(_notifications)
    .where(
        _notifications.c.organization_id == ORG,
        _notifications.c.user_id == bindparam("user_id"),
    )
    .order_by(_notifications.c.id.desc())
)
_mine = (
    _notifications.c.organization_id == ORG,
    _notifications.c.user_id == bindparam("user_id"),
)
NOTIFICATION = select(_notifications).where(
    _notifications.c.organization_id == ORG, _notifications.c.id == bindparam("id")
)
_is_read = _notifications.c.read_at.is_not(None)
_NOTIFICATION_PAGE = (
    select(_notifications)
    .where(*_mine)
    .order_by(_is_read, _notifications.c.id.desc())
    .limit(bindparam("limit"))
)
FIRST_NOTIFICATION_PAGE = _NOTIFICATION_PAGE
# Keyset on (read, id): after the cursor in its group as it is now; no rows if the cursor
# is not this user's (the subquery is NULL, so neither comparison holds).
_cursor_is_read = (
    select(_is_read).where(*_mine, _notifications.c.id == bindparam("after")).scalar_subquery()
)
NEXT_NOTIFICATION_PAGE = _NOTIFICATION_PAGE.where(
    (_is_read > _cursor_is_read)
    | ((_is_read == _cursor_is_read) & (_notifications.c.id < bindparam("after")))
)
UNREAD_COUNT = (
    select(func.count())
    .select_from(_notifications)
    .where(*_mine, _notifications.c.read_at.is_(None))
)
# Binds named unlike any column: an UPDATE takes a column-named bind for its new value.
MARK_ALL_READ = (
    update(_notifications)
    .where(
        _notifications.c.organization_id == ORG,
        _notifications.c.user_id == bindparam("reader"),
        _notifications.c.read_at.is_(None),
    )
    .values(read_at=bindparam("now"))
)


# --- mappers ------------------------------------------------------------------------------


def event_to_row(e: UserEvent) -> UserEventRow:
    return UserEventRow(
        id=e.id,
        organization_id=e.organization_id,
        user_id=e.user_id,
        event_type=e.event_type,
        event_data=dict(e.event_data),
        created_at=e.created_at,
    )


def event_from_row(r: UserEventRow) -> UserEvent:
    return UserEvent(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        event_type=r.event_type,
        event_data=dict(r.event_data),
        created_at=r.created_at,
    )


def audit_to_row(a: AuditLog) -> AuditLogRow:
    return AuditLogRow(
        id=a.id,
        organization_id=a.organization_id,
        user_id=a.user_id,
        action=a.action,
        resource_type=a.resource_type,
        resource_id=a.resource_id,
        old_value=a.old_value,
        new_value=a.new_value,
        created_at=a.created_at,
    )


def audit_from_row(r: AuditLogRow) -> AuditLog:
    return AuditLog(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        action=r.action,
        resource_type=r.resource_type,
        resource_id=r.resource_id,
        old_value=r.old_value,
        new_value=r.new_value,
        created_at=r.created_at,
    )


def notification_to_row(n: Notification) -> NotificationRow:
    return NotificationRow(
        id=n.id,
        organization_id=n.organization_id,
        user_id=n.user_id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        link=n.link,
        read_at=n.read_at,
        created_at=n.created_at,
    )


def notification_from_row(r: NotificationRow) -> Notification:
    return Notification(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        kind=r.kind,
        title=r.title,
        body=r.body,
        link=r.link,
        read_at=r.read_at,
        created_at=r.created_at,
    )


# --- repositories -------------------------------------------------------------------------


class UserEventRepository(Repository, ports.UserEventRepository):
    def add(self, event: UserEvent) -> None:
        self._uow.insert(event_to_row(event))

    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        """Oldest first."""
        if event_type is None:
            rows = self._uow.rows(EVENTS)
        else:
            rows = self._uow.rows(EVENTS_OF_TYPE, event_type=event_type)
        return [event_from_row(r) for r in rows]

    def list_between(self, since: dt.datetime, until: dt.datetime) -> Sequence[UserEvent]:
        rows = self._uow.rows(EVENTS_BETWEEN, since=since, until=until)
        return [event_from_row(r) for r in rows]

    def recorded_for_user(self, event_type: str, user_id: str) -> bool:
        return bool(self._uow.rows(USER_EVENT_OF_TYPE, event_type=event_type, user_id=user_id))


class AuditLogRepository(Repository, ports.AuditLogRepository):
    def add(self, entry: AuditLog) -> None:
        self._uow.insert(audit_to_row(entry))

    def list(
        self,
        action: str | None = None,
        resource_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 100,
        after_id: str | None = None,
        resource_type: str | None = None,
    ) -> Sequence[AuditLog]:
        """Newest first, like the in-memory adapter and the contract suite."""
        filters = {
            name: value
            for name, value in (
                ("action", action),
                ("resource_id", resource_id),
                ("resource_type", resource_type),
                ("since", since),
                ("until", until),
                ("after", after_id),
            )
            if value is not None
        }
        statement = audit_log_page(frozenset(filters))
        rows = self._uow.rows(statement, limit=limit, **filters)
        return [audit_from_row(r) for r in rows]


class NotificationRepository(Repository, ports.NotificationRepository):
    def add(self, notification: Notification) -> None:
        self._uow.insert(notification_to_row(notification))

    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        """Newest first."""
        rows = self._uow.rows(NOTIFICATIONS_FOR_USER, user_id=user_id)
        return [notification_from_row(r) for r in rows]

    def get(self, notification_id: str) -> Notification | None:
        return self._uow.first(NOTIFICATION, notification_from_row, id=notification_id)

    def update(self, notification: Notification) -> None:
        self._update(
            notification_to_row(notification),
            on_missing=lambda _: NotFoundError("notification", notification.id),
        )

    def page_for_user(
        self, user_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Notification]:
        if after_id is None:
            rows = self._uow.rows(FIRST_NOTIFICATION_PAGE, user_id=user_id, limit=limit)
        else:
            rows = self._uow.rows(
                NEXT_NOTIFICATION_PAGE, user_id=user_id, limit=limit, after=after_id
            )
        return [notification_from_row(r) for r in rows]

    def count_unread(self, user_id: str) -> int:
        return int(self._uow.rows(UNREAD_COUNT, user_id=user_id)[0][0])

    def mark_all_read(self, user_id: str, now: dt.datetime) -> int:
        parameters = {"org": self._org, "reader": user_id, "now": now}

        def run(connection: Connection) -> int:
            return int(connection.execute(MARK_ALL_READ, parameters).rowcount)

        return self._uow.now(run)
