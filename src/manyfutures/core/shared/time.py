"""Helpers for the one time convention of the core: aware datetimes in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from manyfutures.core.shared.errors import ValidationError


def ensure_utc(value: datetime, field: str = "time") -> datetime:
    """Reject naive datetimes: silently guessing their zone is how schedules drift."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.for_field(field, f"{field} must include a time zone offset")
    return value.astimezone(UTC)
