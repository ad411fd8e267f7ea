"""When a project delivers: cadence rules in the reader's own time zone.

Deliveries are defined in *local* wall-clock time (09:00 in Europe/London) but
stored and compared as UTC instants. Daylight-saving transitions are the hard
part, so the resolution rules are explicit:

* a local time that does not exist (spring forward) runs at the first valid
  instant after it — the moment the clocks jump;
* an ambiguous local time (fall back) runs once, at its first occurrence;
* a local date that does not exist at all (a zone skipping a day) is skipped.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.time import ensure_utc, load_timezone

DEFAULT_DELIVERY_TIME = time(9, 0)
SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)
ALL_DAYS = (SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)
# ASCII digits only, and \Z rather than $ (which would also accept a trailing newline).
_TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])\Z")
# Two whole weeks plus a margin: every cadence has at least one day per week, but
# when that day's local date does not exist (a zone skipping a day, as Samoa did
# on Friday 2011-12-30) a weekly cadence's next slot is one week further on.
_SEARCH_DAYS = 16


class CadenceMode(enum.StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    CUSTOM = "custom"


def parse_delivery_time(value: str) -> time:
    """Parse ``HH:MM`` (24-hour); seconds are not part of the product's vocabulary."""
    match = _TIME_PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError.for_field(
            "deliveryTime", f"delivery time {value!r} must be HH:MM in 24-hour time"
        )
    return time(int(match.group(1)), int(match.group(2)))


def _days_for(mode: CadenceMode, days: Iterable[int]) -> tuple[int, ...]:
    given = tuple(days)
    for day in given:
        if isinstance(day, bool) or not isinstance(day, int) or not SUNDAY <= day <= SATURDAY:
            raise ValidationError.for_field(
                "days", f"day {day!r} is out of range; use 0 (Sunday) to 6 (Saturday)"
            )
    unique = tuple(sorted(set(given)))
    if len(unique) != len(given):
        raise ValidationError.for_field("days", "days must not repeat")
    if mode is CadenceMode.DAILY or mode is CadenceMode.WEEKDAYS:
        fixed = ALL_DAYS if mode is CadenceMode.DAILY else WEEKDAYS
        if unique and unique != fixed:
            raise ValidationError.for_field(
                "days",
                f"a {mode.value} cadence runs on {list(fixed)}; omit days or send exactly those",
            )
        return fixed
    if mode is CadenceMode.WEEKLY:
        if len(unique) != 1:
            raise ValidationError.for_field("days", "a weekly cadence needs exactly one day")
        return unique
    if not unique:
        raise ValidationError.for_field("days", "a custom cadence needs at least one day")
    return unique


@dataclass(frozen=True, slots=True)
class Cadence:
    """A validated delivery rule. Build it with :meth:`create` to get the checks."""

    mode: CadenceMode
    days: tuple[int, ...]
    delivery_time: time
    timezone: str

    @classmethod
    def create(
        cls,
        mode: str | CadenceMode,
        days: Iterable[int] = (),
        delivery_time: time | str = DEFAULT_DELIVERY_TIME,
        timezone: str = "UTC",
    ) -> Cadence:
        try:
            parsed_mode = CadenceMode(mode)
        except ValueError:
            raise ValidationError.for_field(
                "mode", f"cadence mode {mode!r} is not one of {[m.value for m in CadenceMode]}"
            ) from None
        if isinstance(delivery_time, str):
            delivery_time = parse_delivery_time(delivery_time)
        elif delivery_time.tzinfo is not None or delivery_time.second or delivery_time.microsecond:
            raise ValidationError.for_field(
                "deliveryTime", "delivery time must be a local HH:MM without seconds or offset"
            )
        load_timezone(timezone)
        return cls(parsed_mode, _days_for(parsed_mode, days), delivery_time, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def runs_on(self, local_date: date) -> bool:
        return _sunday_based_weekday(local_date) in self.days

    def next_occurrence(self, after: datetime) -> datetime:
        """The next delivery instant, in UTC, strictly after ``after``."""
        after = ensure_utc(after, "after")
        zone = self.zone
        start = after.astimezone(zone).date() - timedelta(days=1)
        for offset in range(_SEARCH_DAYS + 1):
            local_date = start + timedelta(days=offset)
            if not self.runs_on(local_date):
                continue
            instant = resolve_local_time(local_date, self.delivery_time, zone)
            if instant is not None and instant > after:
                return instant
        raise AssertionError("every cadence has an existing run date within any 16-day window")


def _sunday_based_weekday(local_date: date) -> int:
    return local_date.isoweekday() % 7


def resolve_local_time(local_date: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant for a local wall-clock time, applying the DST rules above.

    Returns ``None`` when the local date itself does not exist in the zone.
    """
    wall = datetime.combine(local_date, at)
    first = wall.replace(tzinfo=zone, fold=0)
    if _round_trips(first, wall):
        return first.astimezone(UTC)
    instant = _end_of_gap(wall, zone)
    if instant.astimezone(zone).date() != local_date:
        return None
    return instant


def _round_trips(candidate: datetime, wall: datetime) -> bool:
    back = candidate.astimezone(UTC).astimezone(candidate.tzinfo).replace(tzinfo=None)
    return back == wall


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that skips over ``wall`` (a time inside a DST gap).

    With PEP 495, fold=1 interprets the wall time with the post-transition offset
    (an instant before the jump) and fold=0 with the pre-transition one (after
    it). The jump lies between them; a binary search on whole seconds finds it.
    """
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if before > after:
        before, after = after, before
    step = timedelta(seconds=1)
    while after - before > step:
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after
