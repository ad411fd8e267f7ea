"""The caller's in-app notifications and their notification preferences."""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint

from manyfutures.container import Container
from manyfutures.core.notifications.use_cases import (
    GetNotificationPreferences,
    ListNotifications,
    ListNotificationsQuery,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    NotificationCommand,
    UpdateNotificationPreferences,
    UpdateNotificationPreferencesCommand,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.notification_schemas import (
    MarkedReadSchema,
    NotificationPageSchema,
    NotificationPreferencesPatchSchema,
    NotificationPreferencesSchema,
    NotificationSchema,
    preferences_body,
    switch_changes,
)
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body, query_args
from manyfutures.entrypoints.http.schemas import PageQuerySchema, instance

blueprint = Blueprint("notifications", __name__)
TAG = "Notifications"


@blueprint.get("/notifications")
@operation(
    TAG,
    "The caller's notifications, unread first, with the unread count",
    query=PageQuerySchema,
    responses={200: NotificationPageSchema},
)
@inject
def list_notifications(
    use_case: ListNotifications = Provide[Container.notifications.list_notifications],
) -> dict[str, Any]:
    query = query_args(PageQuerySchema)
    result = use_case(ListNotificationsQuery(current_actor(), query["limit"], query["cursor"]))
    items = list(result.items)
    next_cursor = items[-1].id if len(items) == query["limit"] else None
    page = {"items": items, "next_cursor": next_cursor, "unread_count": result.unread_count}
    dumped: dict[str, Any] = instance(NotificationPageSchema).dump(page)
    return dumped


@blueprint.post("/notifications/<notification_id>/read")
@operation(TAG, "Mark one of the caller's notifications read", responses={200: NotificationSchema})
@inject
def mark_read(
    notification_id: str,
    use_case: MarkNotificationRead = Provide[Container.notifications.mark_notification_read],
) -> dict[str, Any]:
    notification = use_case(NotificationCommand(current_actor(), notification_id))
    dumped: dict[str, Any] = instance(NotificationSchema).dump(notification)
    return dumped


@blueprint.post("/notifications/read-all")
@operation(TAG, "Mark all the caller's notifications read", responses={200: MarkedReadSchema})
@inject
def mark_all_read(
    use_case: MarkAllNotificationsRead = Provide[
        Container.notifications.mark_all_notifications_read
    ],
) -> dict[str, Any]:
    return {"marked": use_case(current_actor())}


@blueprint.get("/me/notification-preferences")
@operation(
    TAG,
    "The caller's notification switches, per kind and channel (on unless turned off)",
    responses={200: NotificationPreferencesSchema},
)
@inject
def get_preferences(
    use_case: GetNotificationPreferences = Provide[Container.notifications.get_preferences],
) -> dict[str, Any]:
    return _dump(preferences_body(use_case(current_actor())))


@blueprint.patch("/me/notification-preferences")
@operation(
    TAG,
    "Turn the caller's notifications on or off, per kind and channel",
    body=NotificationPreferencesPatchSchema,
    responses={200: NotificationPreferencesSchema},
)
@inject
def update_preferences(
    use_case: UpdateNotificationPreferences = Provide[Container.notifications.update_preferences],
) -> dict[str, Any]:
    changes = switch_changes(json_body(NotificationPreferencesPatchSchema))
    preferences = use_case(UpdateNotificationPreferencesCommand(current_actor(), changes))
    return _dump(preferences_body(preferences))


def _dump(body: dict[str, Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = instance(NotificationPreferencesSchema).dump(body)
    return dumped
