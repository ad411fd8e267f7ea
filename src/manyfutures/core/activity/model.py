"""What happened: tracked events, the audit trail and in-app notifications.

Events replace boolean journey flags (the seed's "events over booleans"): any
metric can be derived later without a schema change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True, kw_only=True)
class UserEvent:
    id: str
    organization_id: str
    user_id: str | None
    event_type: str
    event_data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime


@dataclass(slots=True, kw_only=True)
class AuditLog:
    id: str
    organization_id: str
    user_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    old_value: str | None = None
    new_value: str | None = None
    created_at: datetime


@dataclass(slots=True, kw_only=True)
class Notification:
    id: str
    organization_id: str
    user_id: str
    kind: str
    title: str
    body: str
    link: str | None = None
    read_at: datetime | None = None
    created_at: datetime

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def mark_read(self, now: datetime) -> bool:
        """Read at ``now``, unless already read (then it keeps the first time); whether it
        changed, so marking twice is harmless and writes nothing."""
        if self.read_at is not None:
            return False
        self.read_at = now
        return True
