"""The reader's notifications: the list (unread first), marking one or all read, and
the unread count the navigation shows on every page.

The count is a fragment of its own, loaded by htmx beside the navigation and refreshed
every ``UNREAD_POLL_SECONDS``, so a page's own request stays one unit of work.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from manyfutures.container import Container
from manyfutures.core.notifications.use_cases import (
    CountUnreadNotifications,
    ListNotifications,
    ListNotificationsQuery,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    NotificationCommand,
)
from manyfutures.entrypoints.console.forms import load
from manyfutures.entrypoints.console.guard import current_console_user
from manyfutures.entrypoints.console.redirects import go_to, local_path
from manyfutures.entrypoints.http.schemas import PageQuerySchema

blueprint = Blueprint("notifications", __name__)

PAGE_SIZE = 20
UNREAD_POLL_SECONDS = 30


@blueprint.get("/notifications")
@inject
def list_notifications(
    use_case: ListNotifications = Provide[Container.notifications.list_notifications],
) -> ResponseReturnValue:
    query = load(PageQuerySchema, {"limit": PAGE_SIZE, **request.args.to_dict()})
    page = use_case(
        ListNotificationsQuery(current_console_user().actor, query["limit"], query["cursor"])
    )
    items = list(page.items)
    return render_template(
        "console/notifications/list.html",
        notifications=items,
        unread_count=page.unread_count,
        next_cursor=items[-1].id if len(items) == query["limit"] else None,
        # A notification's link is a path of the reader's front end, which the console's
        # pages share (core/shared/app_pages.py); anything else is shown as text.
        link_of=lambda link: local_path(link, "") or None,
    )


@blueprint.get("/notifications/unread")
@inject
def unread_count(
    use_case: CountUnreadNotifications = Provide[
        Container.notifications.count_unread_notifications
    ],
) -> ResponseReturnValue:
    fragment = render_template(
        "console/notifications/_unread.html",
        unread_count=use_case(current_console_user().actor),
        poll_seconds=UNREAD_POLL_SECONDS,
    )
    return fragment, 200, {"Cache-Control": "no-store"}


@blueprint.post("/notifications/<notification_id>/read")
@inject
def mark_read(
    notification_id: str,
    use_case: MarkNotificationRead = Provide[Container.notifications.mark_notification_read],
) -> ResponseReturnValue:
    """Marked read, then on to what it is about when the reader asked to open it."""
    notification = use_case(NotificationCommand(current_console_user().actor, notification_id))
    if request.form.get("open") and notification.link:
        return go_to(local_path(notification.link, url_for(".list_notifications")))
    return go_to(url_for("console.notifications.list_notifications"))


@blueprint.post("/notifications/read-all")
@inject
def mark_all_read(
    use_case: MarkAllNotificationsRead = Provide[
        Container.notifications.mark_all_notifications_read
    ],
) -> ResponseReturnValue:
    use_case(current_console_user().actor)
    return go_to(url_for("console.notifications.list_notifications"))
