"""Notifications' storage: the switches readers flipped, beside activity's notifications and
the outbox, which the same transaction writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.notifications.model import PreferenceSetting
from manyfutures.core.outbox.ports import OutboxStore


class NotificationPreferenceRepository(Protocol):
    def list_for_user(self, user_id: str) -> Sequence[PreferenceSetting]: ...
    def save(self, setting: PreferenceSetting) -> None:
        """Insert, or replace the stored setting of the same user, kind and channel (which
        keeps its id): two readers' first changes racing each other both land."""
        ...


class NotificationsStore(ActivityStore, OutboxStore, Protocol):
    """What telling a reader touches: their switches, their notifications, the outbox."""

    @property
    def notification_preferences(self) -> NotificationPreferenceRepository: ...
