"""Events, the audit trail and notifications in memory: append-only tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from manyfutures.adapters.memory.tables import (
    DELETED,
    AppendOnly,
    MemoryTable,
    Transaction,
    newest_first,
)
from manyfutures.core.activity.event_types import FIRST_EPISODE_OPENED
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.shared.errors import DuplicateError


def _first_episode_opened_once(uow: Transaction) -> None:
    """Postgres's partial unique index ``uq_user_events_first_episode_opened``: one
    ``first_episode_opened`` per user and organization, however many opens race to it."""
    inserted = uow.inserted.get("user_events")
    if not inserted:
        return
    staged = uow.staged.get("user_events", {})
    seen = {
        (e.organization_id, e.user_id)
        for e in uow.store.tables["user_events"].values()
        if e.event_type == FIRST_EPISODE_OPENED
    }
    for row_id in sorted(inserted):
        event = staged.get(row_id, DELETED)
        if event is DELETED or event.event_type != FIRST_EPISODE_OPENED:
            continue
        key = (event.organization_id, event.user_id)
        if key in seen:
            raise DuplicateError(f"user {event.user_id} already opened a first episode")
        seen.add(key)


USER_EVENTS = MemoryTable("user_events", check=_first_episode_opened_once)
AUDIT_LOG = MemoryTable("audit_log")
NOTIFICATIONS = MemoryTable("notifications")


class UserEventRepository(AppendOnly[UserEvent]):
    table: ClassVar[MemoryTable] = USER_EVENTS

    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        return self._oldest_first(lambda e: event_type is None or e.event_type == event_type)

    def list_between(self, since: datetime, until: datetime) -> Sequence[UserEvent]:
        return self._oldest_first(lambda e: since <= e.created_at < until)

    def recorded_for_user(self, event_type: str, user_id: str) -> bool:
        return any(e.event_type == event_type and e.user_id == user_id for e in self._rows.rows())


class AuditLogRepository(AppendOnly[AuditLog]):
    table: ClassVar[MemoryTable] = AUDIT_LOG

    def list(
        self,
        action: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        after_id: str | None = None,
        resource_type: str | None = None,
    ) -> Sequence[AuditLog]:
        matching = (
            a
            for a in self._rows.rows()
            if (action is None or a.action == action)
            and (resource_id is None or a.resource_id == resource_id)
            and (resource_type is None or a.resource_type == resource_type)
            and (since is None or a.created_at >= since)
            and (until is None or a.created_at < until)
        )
        return newest_first(matching, limit, after_id)


class NotificationRepository(AppendOnly[Notification]):
    table: ClassVar[MemoryTable] = NOTIFICATIONS

    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        return list(reversed(self._oldest_first(lambda n: n.user_id == user_id)))

    def get(self, notification_id: str) -> Notification | None:
        return self._rows.get(notification_id)

    def update(self, notification: Notification) -> None:
        self._rows.update(notification)

    def page_for_user(
        self, user_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Notification]:
        ordered = sorted(self.list_for_user(user_id), key=lambda n: n.is_read)  # stable
        if after_id is not None:
            position = next((i for i, n in enumerate(ordered) if n.id == after_id), None)
            ordered = [] if position is None else ordered[position + 1 :]
        return ordered[:limit]

    def count_unread(self, user_id: str) -> int:
        return sum(not n.is_read for n in self.list_for_user(user_id))

    def mark_all_read(self, user_id: str, now: datetime) -> int:
        marked = 0
        for notification in self.list_for_user(user_id):
            if notification.mark_read(now):
                self._rows.update(notification)
                marked += 1
        return marked
