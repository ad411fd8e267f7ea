"""The activity trail: events that clients track, and the audit log admins read."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manyfutures.core.activity.event_types import SERVER_EVENT_TYPES
from manyfutures.core.activity.model import AuditLog, UserEvent
from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.activity.resource_types import AUDITED_RESOURCE_TYPES
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.paging import check_page_size
from manyfutures.core.shared.use_case import UseCase

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
MAX_EVENT_DATA_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class TrackEventCommand:
    actor: Actor
    event_type: str
    event_data: dict[str, Any] = field(default_factory=dict)


def validate_event(event_type: str, event_data: object) -> dict[str, Any]:
    if not isinstance(event_type, str) or not EVENT_TYPE_PATTERN.fullmatch(event_type):
        raise ValidationError.for_field(
            "eventType", "eventType must match ^[a-z][a-z0-9_]{2,63}$ (e.g. share_clicked)"
        )
    if event_type in SERVER_EVENT_TYPES:
        raise ValidationError.for_field(
            "eventType", f"{event_type} is recorded by the server itself; choose another name"
        )
    if not isinstance(event_data, dict):
        raise ValidationError.for_field("eventData", "eventData must be a JSON object")
    try:
        size = len(json.dumps(event_data, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise ValidationError.for_field("eventData", "eventData must be plain JSON") from None
    if size > MAX_EVENT_DATA_BYTES:
        raise ValidationError.for_field(
            "eventData", f"eventData is {size} bytes; the limit is {MAX_EVENT_DATA_BYTES}"
        )
    return event_data


class TrackEvent(UseCase[ActivityStore]):
    def __call__(self, command: TrackEventCommand) -> UserEvent:
        data = validate_event(command.event_type, command.event_data)
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            event = record.event(command.event_type, data)
            uow.commit()
            return event


@dataclass(frozen=True, slots=True)
class ListAuditLogQuery:
    """Admins read who changed what; ``since`` is inclusive, ``until`` exclusive."""

    actor: Actor
    action: str | None = None
    resource_id: str | None = None
    resource_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after_id: str | None = None


class ListAuditLog(UseCase[ActivityStore]):
    """Newest first, paged by id (ids sort by time)."""

    def __call__(self, query: ListAuditLogQuery) -> Sequence[AuditLog]:
        query.actor.require_admin()
        limit = check_page_size(query.limit)
        if query.since and query.until and query.since >= query.until:
            raise ValidationError.for_field("from", "from must be before to")
        if query.resource_type is not None and query.resource_type not in AUDITED_RESOURCE_TYPES:
            raise ValidationError.for_field(
                "resourceType",
                f"resourceType must be one of {sorted(AUDITED_RESOURCE_TYPES)}",
            )
        with self._uow(query.actor.organization_id) as uow:
            return uow.audit_log.list(
                action=query.action,
                resource_id=query.resource_id,
                resource_type=query.resource_type,
                since=query.since,
                until=query.until,
                limit=limit,
                after_id=query.after_id,
            )
