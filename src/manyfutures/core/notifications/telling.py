"""Telling a reader something: an in-app notification and an email, as they chose.

The pipeline's news (an episode ready, a generation failed for good, a cost alert)
goes through ``tell``, inside the transaction of the change it reports: the reader's
switches are read there, and a switched-off channel gets no row at all, so what the
outbox holds is exactly what will be sent. Every email a reader can switch off carries
its signed one-click unsubscribe link (core/outbox/unsubscribe.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.notifications.model import Channel, NotificationKind, NotificationPreferences
from manyfutures.core.notifications.ports import NotificationsStore
from manyfutures.core.outbox.emails import Email
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget
from manyfutures.core.outbox.writing import write_email
from manyfutures.core.shared.ports import IdGenerator


@dataclass(frozen=True, slots=True)
class Notice:
    """What the in-app notification says; ``kind`` is its own, finer than the switch's
    (``daily_cost_approaching`` and ``daily_cost_limit_reached`` are both cost alerts)."""

    kind: str
    title: str
    body: str
    link: str | None = None


def preferences_of(uow: NotificationsStore, user_id: str) -> NotificationPreferences:
    return NotificationPreferences.of(user_id, uow.notification_preferences.list_for_user(user_id))


@dataclass(frozen=True, slots=True)
class Reader:
    user_id: str
    address: str | None
    """None for a reader with no email address: they get the in-app notification only."""


def tell(
    uow: NotificationsStore,
    ids: IdGenerator,
    templates: EmailTemplates,
    reader: Reader,
    kind: NotificationKind,
    notice: Notice,
    email: Email,
    now: datetime,
) -> None:
    preferences = preferences_of(uow, reader.user_id)
    if preferences.allows(kind, Channel.IN_APP):
        Recorder(uow, ids, None, now).notify(
            reader.user_id, notice.kind, notice.title, notice.body, link=notice.link
        )
    if reader.address and preferences.allows(kind, Channel.EMAIL):
        write_email(
            uow.outbox,
            templates,
            ids,
            organization_id=uow.organization_id,
            recipient=reader.address,
            email=email,
            now=now,
            unsubscribe=UnsubscribeTarget(uow.organization_id, reader.user_id, kind.value),
        )
