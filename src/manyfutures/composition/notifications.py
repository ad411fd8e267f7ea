"""Notifications' use cases: a reader's notifications, their switches, one-click unsubscribe."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.notifications.use_cases import (
    CheckUnsubscribeLink,
    CountUnreadNotifications,
    GetNotificationPreferences,
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    Unsubscribe,
    UnsubscribeLinks,
    UpdateNotificationPreferences,
)


def _secret(value: str) -> bytes:
    return value.encode()


class NotificationsContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    list_notifications = use_case(ListNotifications, adapters)
    count_unread_notifications = use_case(CountUnreadNotifications, adapters)
    mark_notification_read = use_case(MarkNotificationRead, adapters)
    mark_all_notifications_read = use_case(MarkAllNotificationsRead, adapters)
    get_preferences = use_case(GetNotificationPreferences, adapters)
    update_preferences = use_case(UpdateNotificationPreferences, adapters)
    # The same secret the templates sign links with (composition/adapters.py).
    unsubscribe_links = providers.Singleton(
        UnsubscribeLinks, providers.Callable(_secret, config.unsubscribe_secret)
    )
    check_unsubscribe_link = providers.Singleton(CheckUnsubscribeLink, unsubscribe_links)
    unsubscribe = use_case(Unsubscribe, adapters, unsubscribe_links)
