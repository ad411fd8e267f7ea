"""The layout's navigation and the helpers every template may use.

Append a ``NavLink`` for a new page: the layout shows it to the audience it names
(every reader, the organization's admins, or the service's operators).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, request, url_for

from manyfutures.core.shared.time import load_timezone
from manyfutures.entrypoints.console.guard import ConsoleUser, signed_in_user


class Audience(enum.Enum):
    READER = "reader"
    ADMIN = "admin"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    endpoint: str
    audience: Audience = Audience.READER
    # A fragment loaded beside the link (htmx), such as the unread count.
    badge_endpoint: str | None = None

    def visible_to(self, user: ConsoleUser) -> bool:
        if self.audience is Audience.ADMIN:
            return user.is_admin
        if self.audience is Audience.OPERATOR:
            return user.is_operator
        return True


NAV_LINKS: list[NavLink] = [
    NavLink("Projects", "console.projects.list_projects"),
    NavLink(
        "Notifications",
        "console.notifications.list_notifications",
        badge_endpoint="console.notifications.unread_count",
    ),
    NavLink("Usage", "console.admin.usage", Audience.ADMIN),
    NavLink("Settings", "console.admin.settings", Audience.ADMIN),
    NavLink("Operations", "console.admin.operations", Audience.ADMIN),
    NavLink("Audit log", "console.admin.audit_log", Audience.ADMIN),
    NavLink("Every organization", "console.operator.operations", Audience.OPERATOR),
]


def nav_links(user: ConsoleUser | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    return [
        {
            "label": link.label,
            "url": url_for(link.endpoint),
            "current": request.endpoint == link.endpoint,
            "audience": link.audience.value,
            "badge_url": url_for(link.badge_endpoint) if link.badge_endpoint else None,
        }
        for link in NAV_LINKS
        if link.visible_to(user)
    ]


def local_time(value: datetime | None, pattern: str = "%a %d %b %Y, %H:%M") -> str:
    """A UTC instant in the signed-in reader's time zone, with the zone's abbreviation."""
    if value is None:
        return ""
    user = signed_in_user()
    zone = load_timezone(user.timezone) if user is not None else None
    local = value.astimezone(zone) if zone is not None else value
    return f"{local.strftime(pattern)} {local.tzname() or ''}".strip()


def register_template_helpers(console: Blueprint) -> None:
    @console.app_context_processor
    def _layout() -> dict[str, Any]:
        user = signed_in_user()
        return {"console_user": user, "nav": nav_links(user)}

    console.add_app_template_filter(local_time, "local_time")
