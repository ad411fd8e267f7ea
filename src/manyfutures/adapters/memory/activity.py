"""Events, the audit trail and notifications in memory: append-only tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from manyfutures.adapters.memory.tables import AppendOnly, MemoryTable, newest_first
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent

USER_EVENTS = MemoryTable("user_events")
AUDIT_LOG = MemoryTable("audit_log")
NOTIFICATIONS = MemoryTable("notifications")


class UserEventRepository(AppendOnly[UserEvent]):
    table: ClassVar[MemoryTable] = USER_EVENTS

    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        return self._oldest_first(lambda e: event_type is None or e.event_type == event_type)


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
    ) -> Sequence[AuditLog]:
        matching = (
            a
            for a in self._rows.rows()
            if (action is None or a.action == action)
            and (resource_id is None or a.resource_id == resource_id)
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
