"""The activity trail's storage port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.shared.unit_of_work import UnitOfWork


class UserEventRepository(Protocol):
    def add(self, event: UserEvent) -> None: ...
    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        """Oldest first."""
        ...

    def list_between(self, since: datetime, until: datetime) -> Sequence[UserEvent]:
        """Recorded at ``since`` or later and before ``until``, oldest first."""
        ...

    def recorded_for_user(self, event_type: str, user_id: str) -> bool:
        """Whether ``user_id`` has an event of this type in the organization."""
        ...


class AuditLogRepository(Protocol):
    def add(self, entry: AuditLog) -> None: ...
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
        """Newest first; ``since`` inclusive, ``until`` exclusive, ``after_id`` continues a page."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...
    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        """Newest first."""
        ...

    def get(self, notification_id: str) -> Notification | None: ...
    def update(self, notification: Notification) -> None: ...
    def page_for_user(
        self, user_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Notification]:
        """Unread first, then read; newest first within each. ``after_id`` continues after
        that notification, in the group its read state puts it in now (nothing if it is
        not this user's)."""
        ...

    def count_unread(self, user_id: str) -> int: ...
    def mark_all_read(self, user_id: str, now: datetime) -> int:
        """Mark every unread notification of the user read at ``now``; how many were."""
        ...


class ActivityStore(UnitOfWork, Protocol):
    """An organization's events, audit trail and notifications."""

    @property
    def events(self) -> UserEventRepository: ...
    @property
    def audit_log(self) -> AuditLogRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...
