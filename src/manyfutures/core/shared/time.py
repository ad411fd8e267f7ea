"""The core's time conventions: aware datetimes in UTC, and IANA zones named by places."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manyfutures.core.shared.errors import ValidationError


def ensure_utc(value: datetime, field: str = "time") -> datetime:
    """Reject naive datetimes: silently guessing their zone is how schedules drift."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.for_field(field, f"{field} must include a time zone offset")
    return value.astimezone(UTC)


# tzdata files that are not places: the server's own zone, placeholders, and the
# alternative "posix/" and "right/" (leap-second) trees.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES = ("posix/", "right/")


def load_timezone(name: str) -> ZoneInfo:
    """Resolve an IANA zone name or raise a ValidationError naming the field."""
    if isinstance(name, str) and (name in _NOT_PLACES or name.startswith(_NOT_PLACE_PREFIXES)):
        raise ValidationError.for_field(
            "timezone", f"{name!r} is not a place's time zone; use e.g. 'Europe/London'"
        )
    try:
        return ZoneInfo(name)
    # OSError: a name that is a tzdata directory ("Europe") or too long for the file system.
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValidationError.for_field(
            "timezone", f"unknown time zone {name!r}; use an IANA name such as 'Europe/London'"
        ) from None
