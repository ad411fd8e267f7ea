"""Writing events, audit rows and notifications inside the caller's unit of work.

They share the transaction of the change they describe, so a rolled-back change
leaves no trace and a committed one always has its audit row. A ``Recorder`` is
bound once per transaction to the unit of work, the acting user and the instant,
so a use case names only what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.shared.ports import IdGenerator


def as_audit_text(value: object) -> str | None:
    """Audit values are plain text (the seed's choice); structured values become JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def changed_settings(
    before: Mapping[str, object], after: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Old and new values of only the settings that moved, in key order: an audit row
    should show what changed, not the whole snapshot, and an empty pair means nothing did."""
    keys = sorted(key for key in after if after[key] != before[key])
    return {key: before[key] for key in keys}, {key: after[key] for key in keys}


class Recorder:
    """What happened in one transaction, written into it: events, audit rows, notifications.

    ``user_id`` is who acted (``None`` for the system: a webhook, the scheduler, a
    generator's callback); a notification names its own recipient.
    """

    def __init__(
        self, uow: ActivityStore, ids: IdGenerator, user_id: str | None, now: datetime
    ) -> None:
        self._uow = uow
        self._ids = ids
        self._user_id = user_id
        self._now = now

    def event(self, event_type: str, data: dict[str, Any] | None = None) -> UserEvent:
        event = UserEvent(
            id=self._ids.new_id("evt"),
            organization_id=self._uow.organization_id,
            user_id=self._user_id,
            event_type=event_type,
            event_data=dict(data or {}),
            created_at=self._now,
        )
        self._uow.events.add(event)
        return event

    def audit(
        self,
        action: str,
        resource_type: str,
        resource_id: str | None,
        old: object = None,
        new: object = None,
    ) -> None:
        self._uow.audit_log.add(
            AuditLog(
                id=self._ids.new_id("audit"),
                organization_id=self._uow.organization_id,
                user_id=self._user_id,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                old_value=as_audit_text(old),
                new_value=as_audit_text(new),
                created_at=self._now,
            )
        )

    def notify(
        self, user_id: str, kind: str, title: str, body: str, link: str | None = None
    ) -> Notification:
        notification = Notification(
            id=self._ids.new_id("notif"),
            organization_id=self._uow.organization_id,
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            created_at=self._now,
        )
        self._uow.notifications.add(notification)
        return notification
