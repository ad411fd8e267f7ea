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
