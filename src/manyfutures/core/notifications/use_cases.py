"""A reader's notifications (list, mark read) and their switches (read, change, unsubscribe).

Each reader sees and changes only their own notifications: another user's, like
another organization's, is not found. Every change a reader makes writes an audit row
in its transaction; the one-click unsubscribe acts for the reader its signed link names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from manyfutures.core.activity.model import Notification
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.notifications.model import (
    Channel,
    NotificationKind,
    NotificationPreferences,
    PreferenceSetting,
    Switch,
)
from manyfutures.core.notifications.ports import NotificationsStore
from manyfutures.core.notifications.telling import preferences_of
from manyfutures.core.outbox.unsubscribe import (
    TOKEN_FIELD,
    UnsubscribeTarget,
    verify_unsubscribe,
)
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, ValidationError
from manyfutures.core.shared.paging import check_page_size
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

PREFERENCES = "notification_preferences"


@dataclass(frozen=True, slots=True)
class ListNotificationsQuery:
    actor: Actor
    limit: int = 20
    after_id: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationPage:
    items: Sequence[Notification]
    unread_count: int


class ListNotifications(UseCase[NotificationsStore]):
    def __call__(self, query: ListNotificationsQuery) -> NotificationPage:
        limit = check_page_size(query.limit)
        user_id = query.actor.user_id
        with self._uow(query.actor.organization_id) as uow:
            items = uow.notifications.page_for_user(user_id, limit, query.after_id)
            return NotificationPage(items, uow.notifications.count_unread(user_id))


class CountUnreadNotifications(UseCase[NotificationsStore]):
    """The caller's unread count alone: the console's navigation shows it on every page."""

    def __call__(self, actor: Actor) -> int:
        with self._uow(actor.organization_id) as uow:
            return uow.notifications.count_unread(actor.user_id)


@dataclass(frozen=True, slots=True)
class NotificationCommand:
    actor: Actor
    notification_id: str


class MarkNotificationRead(UseCase[NotificationsStore]):
    """Marking a read notification again changes nothing and writes no audit row."""

    def __call__(self, command: NotificationCommand) -> Notification:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            notification = uow.notifications.get(command.notification_id)
            if notification is None or notification.user_id != command.actor.user_id:
                raise NotFoundError("notification", command.notification_id)
            if notification.mark_read(now):
                uow.notifications.update(notification)
                Recorder(uow, self._ids, command.actor.user_id, now).audit(
                    "notification.read", "notification", notification.id
                )
                uow.commit()
            return notification


class MarkAllNotificationsRead(UseCase[NotificationsStore]):
    def __call__(self, actor: Actor) -> int:
        """How many were unread."""
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            marked = uow.notifications.mark_all_read(actor.user_id, now)
            if marked:
                Recorder(uow, self._ids, actor.user_id, now).audit(
                    "notification.read_all", "notification", None, new={"marked": marked}
                )
                uow.commit()
            return marked


class GetNotificationPreferences(UseCase[NotificationsStore]):
    def __call__(self, actor: Actor) -> NotificationPreferences:
        with self._uow(actor.organization_id) as uow:
            return preferences_of(uow, actor.user_id)


@dataclass(frozen=True, slots=True)
class UpdateNotificationPreferencesCommand:
    actor: Actor
    changes: Mapping[Switch, bool] = field(default_factory=dict)


def _save_changes(
    uow: NotificationsStore,
    ids: IdGenerator,
    user_id: str,
    changes: Mapping[Switch, bool],
    action: str,
    now: datetime,
) -> NotificationPreferences:
    """Store the switches ``changes`` moves, audited as ``user_id``'s change, and commit;
    the reader's switches after."""
    before = preferences_of(uow, user_id)
    moved = before.changed_by(changes)
    if not moved:
        return before
    for (kind, channel), enabled in moved.items():
        uow.notification_preferences.save(
            PreferenceSetting(
                id=ids.new_id("npref"),
                organization_id=uow.organization_id,
                user_id=user_id,
                kind=kind,
                channel=channel,
                enabled=enabled,
                updated_at=now,
            )
        )
    old = {f"{kind}.{channel}": not on for (kind, channel), on in moved.items()}
    new = {f"{kind}.{channel}": on for (kind, channel), on in moved.items()}
    Recorder(uow, ids, user_id, now).audit(action, PREFERENCES, user_id, old=old, new=new)
    uow.commit()
    return before.with_changes(moved)


class UpdateNotificationPreferences(UseCase[NotificationsStore]):
    """Only the switches named change; a switch set to what it already is writes nothing."""

    def __call__(self, command: UpdateNotificationPreferencesCommand) -> NotificationPreferences:
        actor = command.actor
        with self._uow(actor.organization_id) as uow:
            return _save_changes(
                uow,
                self._ids,
                actor.user_id,
                command.changes,
                "notification_preferences.update",
                self._clock.now(),
            )


class UnsubscribeLinks:
    """Reading a signed unsubscribe link: nothing else proves who is asking."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def target(self, token: str) -> tuple[UnsubscribeTarget, NotificationKind]:
        target = verify_unsubscribe(self._secret, token)
        try:
            return target, NotificationKind(target.kind)
        except ValueError:
            raise ValidationError.for_field(
                TOKEN_FIELD, "this unsubscribe link is not valid"
            ) from None


class CheckUnsubscribeLink:
    """What a link would switch off, changing nothing: a mail scanner follows GETs."""

    def __init__(self, links: UnsubscribeLinks) -> None:
        self._links = links

    def __call__(self, token: str) -> NotificationKind:
        return self._links.target(token)[1]


class Unsubscribe(UseCase[NotificationsStore]):
    """One-click (RFC 8058): switch off the email of the link's kind for the link's reader,
    audited as that reader's change. Repeating it changes nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[NotificationsStore],
        clock: Clock,
        ids: IdGenerator,
        links: UnsubscribeLinks,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._links = links

    def __call__(self, token: str) -> NotificationKind:
        target, kind = self._links.target(token)
        with self._uow(target.organization_id) as uow:
            _save_changes(
                uow,
                self._ids,
                target.user_id,
                {(kind, Channel.EMAIL): False},
                "notification_preferences.unsubscribe",
                self._clock.now(),
            )
        return kind
