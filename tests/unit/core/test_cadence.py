"""Cadence rules: local wall-clock deliveries resolved to UTC instants across DST.

The properties check the documented resolution rules against independent
observations made with ``zoneinfo`` directly (what the wall clock shows at an
instant and one second before it), never against the cadence's own helpers.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from manyfutures.core.projects.cadence import (
    Cadence,
    CadenceMode,
    parse_delivery_time,
    resolve_local_time,
)
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.time import load_timezone

# Zones a reader can live in: tzdata also ships the server's own zone and placeholders.
NOT_PLACES = {"localtime", "Factory", "posixrules"}
ALL_ZONES = sorted(
    z
    for z in zoneinfo.available_timezones()
    if z not in NOT_PLACES and not z.startswith(("posix/", "right/"))
)
DST_HEAVY_ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Apia",
    "Asia/Tehran",
]
# Zones with daylight saving (or one-off offset jumps) for properties that need a transition.
TRANSITION_ZONES = [
    *DST_HEAVY_ZONES,
    "Europe/Berlin",
    "Europe/Dublin",
    "America/Chicago",
    "America/Havana",
    "America/St_Johns",
    "America/Asuncion",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Africa/Cairo",
    "Africa/Casablanca",
    "Asia/Jerusalem",
    "Asia/Gaza",
    "Pacific/Kiritimati",
    "Pacific/Fakaofo",
]
FIRST_YEAR, LAST_YEAR = 1990, 2037
STEPS = 20
ONE_SECOND = timedelta(seconds=1)
MONDAY = 1  # days are Sunday-based: 0 = Sunday to 6 = Saturday

zones = st.one_of(
    st.sampled_from(DST_HEAVY_ZONES), st.sampled_from(TRANSITION_ZONES), st.sampled_from(ALL_ZONES)
)
delivery_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """What a wall clock in ``zone`` shows at ``instant`` (naive)."""
    return instant.astimezone(zone).replace(tzinfo=None)


def utc_offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def sunday_based_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7


def wall_time_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """True if some instant shows ``wall`` on the clock (either fold)."""
    return any(
        local_wall(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC), zone) == wall
        for fold in (0, 1)
    )


def local_date_exists(day: date, zone: ZoneInfo) -> bool:
    """True if the zone's calendar ever shows ``day`` (sampled every 15 minutes)."""
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    return any(
        local_wall(noon + timedelta(minutes=15 * step), zone).date() == day
        for step in range(-4 * 36, 4 * 36 + 1)
    )


@lru_cache(maxsize=4096)
def transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """Every UTC instant in ``year`` at which the zone's UTC offset changes (to the second)."""
    zone = ZoneInfo(zone_name)
    found: list[datetime] = []
    cursor = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    offset = cursor.astimezone(zone).utcoffset()
    while cursor < end:
        probe = cursor + step
        probe_offset = probe.astimezone(zone).utcoffset()
        if probe_offset != offset:
            low, high = cursor, probe
            while high - low > ONE_SECOND:
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
            offset = probe_offset
        cursor = probe
    return tuple(found)


@st.composite
def cadences(draw: st.DrawFn, zone_name: str, delivery: time, include: int | None) -> Cadence:
    """Any valid cadence; ``include`` (a Sunday-based weekday) is a run day when possible."""
    mode = draw(st.sampled_from(list(CadenceMode)))
    if mode is CadenceMode.DAILY:
        days: tuple[int, ...] = draw(st.sampled_from([(), (0, 1, 2, 3, 4, 5, 6)]))
    elif mode is CadenceMode.WEEKDAYS:
        days = draw(st.sampled_from([(), (1, 2, 3, 4, 5)]))
    elif mode is CadenceMode.WEEKLY:
        days = (draw(st.integers(0, 6)) if include is None else include,)
    else:
        chosen = draw(st.sets(st.integers(0, 6), min_size=1))
        days = tuple(chosen if include is None else chosen | {include})
    return Cadence.create(mode, days, delivery, zone_name)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Cadence, datetime]:
    """A cadence and a start instant, mostly placed just before a UTC-offset change."""
    zone_name = draw(zones)
    zone = ZoneInfo(zone_name)
    year = draw(st.integers(FIRST_YEAR, LAST_YEAR))
    near = transitions(zone_name, year)
    use_transition = draw(st.integers(0, 4)) > 0  # four times in five
    if near and use_transition:
        pivot = draw(st.sampled_from(near))
        # The wall time at which the clocks change: delivery times just after it fall into
        # a spring-forward gap, just before it into a fall-back repeated interval.
        wall = local_wall(pivot - ONE_SECOND, zone) + ONE_SECOND
        minutes = st.one_of(st.integers(0, 59), st.integers(-60, -1), st.integers(-90, 90))
        wall += timedelta(minutes=draw(minutes))
        delivery = time(wall.hour, wall.minute)
        start = pivot - timedelta(seconds=draw(st.integers(0, 8 * 86_400)))
        include: int | None = sunday_based_weekday(local_wall(pivot, zone).date())
    else:
        start = draw(
            st.datetimes(
                min_value=datetime(year, 1, 1), max_value=datetime(year, 12, 31, 23, 59, 59)
            )
        ).replace(tzinfo=UTC)
        delivery = draw(delivery_times)
        include = None
    return draw(cadences(zone_name, delivery, include)), start


def run_sequence(cadence: Cadence, start: datetime, steps: int = STEPS) -> list[datetime]:
    results: list[datetime] = []
    cursor = start
    for _ in range(steps):
        cursor = cadence.next_occurrence(cursor)
        results.append(cursor)
    return results


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_next_occurrence_is_strictly_later_and_in_utc(scenario: tuple[Cadence, datetime]) -> None:
    cadence, start = scenario
    previous = start
    for result in run_sequence(cadence, start):
        assert result.tzinfo is UTC
        assert result > previous
        previous = result


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_at_most_one_delivery_per_local_date_and_only_on_run_days(
    scenario: tuple[Cadence, datetime],
) -> None:
    cadence, start = scenario
    local_dates = [r.astimezone(cadence.zone).date() for r in run_sequence(cadence, start)]
    assert len(set(local_dates)) == len(local_dates)
    assert all(sunday_based_weekday(day) in cadence.days for day in local_dates)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_scheduled_local_date_is_skipped(scenario: tuple[Cadence, datetime]) -> None:
    cadence, start = scenario
    zone = cadence.zone
    delivered = {r.astimezone(zone).date() for r in run_sequence(cadence, start)}
    day, last = min(delivered), max(delivered)
    while day <= last:
        if sunday_based_weekday(day) in cadence.days and day not in delivered:
            # The only excuse: the zone skipped that calendar date altogether.
            assert resolve_local_time(day, cadence.delivery_time, zone) is None
            assert not local_date_exists(day, zone)
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_delivery_wall_time_or_the_moment_the_clocks_jump_over_it(
    scenario: tuple[Cadence, datetime],
) -> None:
    cadence, start = scenario
    zone = cadence.zone
    for result in run_sequence(cadence, start):
        shown = local_wall(result, zone)
        wanted = datetime.combine(shown.date(), cadence.delivery_time)
        if shown == wanted:
            continue
        # Only allowed when the wanted wall time does not exist that day, and then the
        # result is the jump itself: one second earlier the clock still read earlier.
        assert not wall_time_exists(wanted, zone)
        assert local_wall(result - ONE_SECOND, zone) < wanted < shown


@st.composite
def ambiguous_walls(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and a whole-minute wall time inside a fall-back repeated interval."""
    zone_name = draw(st.sampled_from(TRANSITION_ZONES))
    zone = ZoneInfo(zone_name)
    year = draw(st.integers(FIRST_YEAR, LAST_YEAR))
    fall_backs = [
        pivot
        for pivot in transitions(zone_name, year)
        if utc_offset(pivot, zone) < utc_offset(pivot - ONE_SECOND, zone)
    ]
    assume(fall_backs)
    pivot = draw(st.sampled_from(fall_backs))
    repeat = utc_offset(pivot - ONE_SECOND, zone) - utc_offset(pivot, zone)
    first_wall = local_wall(pivot, zone)  # the clock has just been put back to this
    minutes = draw(st.integers(0, int(repeat.total_seconds() // 60) - 1))
    wall = first_wall + timedelta(minutes=minutes)
    assume(wall.second == 0 and wall.date() == first_wall.date())
    return zone, wall


@settings(max_examples=100, deadline=None)
@given(ambiguous_walls())
def test_ambiguous_wall_time_resolves_to_its_first_occurrence(
    case: tuple[ZoneInfo, datetime],
) -> None:
    zone, wall = case
    candidates = {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    assert len(candidates) == 2  # the wall time really happens twice
    assert all(local_wall(c, zone) == wall for c in candidates)
    earlier = min(candidates)

    assert resolve_local_time(wall.date(), wall.time(), zone) == earlier

    cadence = Cadence.create("daily", (), wall.time(), zone.key)
    first = cadence.next_occurrence(earlier - timedelta(minutes=1))
    assert first == earlier
    # Runs once: the second occurrence of the same wall time is not another delivery.
    assert cadence.next_occurrence(first).astimezone(zone).date() > wall.date()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 23), st.integers(0, 59))
def test_every_valid_hh_mm_parses(hour: int, minute: int) -> None:
    assert parse_delivery_time(f"{hour:02d}:{minute:02d}") == time(hour, minute)


def _is_hh_mm(text: str) -> bool:
    if len(text) != 5 or text[2] != ":":
        return False
    hours, minutes = text[:2], text[3:]
    if not all(ch in "0123456789" for ch in hours + minutes):
        return False
    return int(hours) < 24 and int(minutes) < 60


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=8),
        st.from_regex(r"\A[0-9]{1,3}:[0-9]{1,3}\s?\Z"),
        st.from_regex(r"\A\d\d:\d\d\Z"),
    )
)
def test_parse_delivery_time_accepts_exactly_hh_mm(text: str) -> None:
    if _is_hh_mm(text):
        assert parse_delivery_time(text) == time(int(text[:2]), int(text[3:]))
    else:
        with pytest.raises(ValidationError) as raised:
            parse_delivery_time(text)
        assert "deliveryTime" in raised.value.field_errors


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(ALL_ZONES), st.text(max_size=40)))
def test_load_timezone_returns_a_zone_or_a_validation_error(name: str) -> None:
    zone: ZoneInfo | None = None
    fields: set[str] = set()
    try:
        zone = load_timezone(name)
    except ValidationError as error:
        fields = set(error.field_errors)
    if zone is None:
        assert fields == {"timezone"}
        assert name not in ALL_ZONES
    else:
        assert zone.key == name


# ----------------------------------------------------------------------------- examples

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_london_spring_forward_runs_at_the_jump() -> None:
    # 2025-03-30: 01:00 GMT becomes 02:00 BST; 01:30 never happens.
    cadence = Cadence.create("daily", (), "01:30", "Europe/London")
    result = cadence.next_occurrence(utc(2025, 3, 29, 12, 0))
    assert result == utc(2025, 3, 30, 1, 0)
    assert local_wall(result, LONDON) == datetime(2025, 3, 30, 2, 0)


def test_london_fall_back_runs_at_the_first_occurrence_only() -> None:
    # 2025-10-26: 02:00 BST becomes 01:00 GMT; 01:30 happens at 00:30 and 01:30 UTC.
    cadence = Cadence.create("daily", (), "01:30", "Europe/London")
    first = cadence.next_occurrence(utc(2025, 10, 25, 12, 0))
    assert first == utc(2025, 10, 26, 0, 30)
    assert cadence.next_occurrence(first) == utc(2025, 10, 27, 1, 30)
    assert resolve_local_time(date(2025, 10, 26), time(1, 30), LONDON) == utc(2025, 10, 26, 0, 30)


def test_weekly_monday_from_a_sunday_in_winter_and_summer() -> None:
    cadence = Cadence.create("weekly", [MONDAY], "09:00", "Europe/London")
    assert cadence.next_occurrence(utc(2026, 1, 4, 12, 0)) == utc(2026, 1, 5, 9, 0)
    assert cadence.next_occurrence(utc(2025, 6, 1, 12, 0)) == utc(2025, 6, 2, 8, 0)
    # From the Monday delivery itself, the next one is a week later.
    assert cadence.next_occurrence(utc(2026, 1, 5, 9, 0)) == utc(2026, 1, 12, 9, 0)


def test_weekdays_skip_the_weekend() -> None:
    cadence = Cadence.create("weekdays", (), "09:00", "Europe/London")
    # Friday 2026-01-09 after its delivery: next is Monday 2026-01-12.
    assert cadence.next_occurrence(utc(2026, 1, 9, 10, 0)) == utc(2026, 1, 12, 9, 0)
    week = run_sequence(cadence, utc(2026, 1, 11, 0, 0), steps=5)
    assert week == [utc(2026, 1, day, 9, 0) for day in (12, 13, 14, 15, 16)]


def test_custom_days_in_new_york() -> None:
    cadence = Cadence.create("custom", [3, 0], "07:15", "America/New_York")
    assert cadence.days == (0, 3)
    # Thursday 2026-01-08 -> Sunday 11th, Wednesday 14th, Sunday 18th (EST, UTC-5).
    assert run_sequence(cadence, utc(2026, 1, 8, 12, 0), steps=3) == [
        utc(2026, 1, 11, 12, 15),
        utc(2026, 1, 14, 12, 15),
        utc(2026, 1, 18, 12, 15),
    ]


def test_lord_howe_half_hour_gap() -> None:
    # 2025-10-05 02:00 (+10:30) jumps to 02:30 (+11); 02:15 resolves to the jump.
    cadence = Cadence.create("daily", (), "02:15", "Australia/Lord_Howe")
    assert cadence.next_occurrence(utc(2025, 10, 4, 0, 0)) == utc(2025, 10, 4, 15, 30)


def test_santiago_midnight_gap_and_repeat() -> None:
    # 2024-09-08 00:00 (-04) jumps to 01:00 (-03).
    spring = Cadence.create("daily", (), "00:30", "America/Santiago")
    assert spring.next_occurrence(utc(2024, 9, 7, 12, 0)) == utc(2024, 9, 8, 4, 0)
    # 2025-04-06 00:00 (-03) goes back to 2025-04-05 23:00 (-04): 23:30 happens twice.
    autumn = Cadence.create("daily", (), "23:30", "America/Santiago")
    assert autumn.next_occurrence(utc(2025, 4, 5, 12, 0)) == utc(2025, 4, 6, 2, 30)


def test_tehran_last_spring_forward() -> None:
    # 2022-03-22 00:00 (+03:30) jumps to 01:00 (+04:30).
    cadence = Cadence.create("daily", (), "00:30", "Asia/Tehran")
    assert cadence.next_occurrence(utc(2022, 3, 21, 12, 0)) == utc(2022, 3, 21, 20, 30)


def test_apia_skipped_date_is_skipped_not_doubled() -> None:
    apia = ZoneInfo("Pacific/Apia")
    assert resolve_local_time(date(2011, 12, 30), time(9, 0), apia) is None
    daily = Cadence.create("daily", (), "09:00", "Pacific/Apia")
    thursday = daily.next_occurrence(utc(2011, 12, 29, 0, 0))
    assert local_wall(thursday, apia) == datetime(2011, 12, 29, 9, 0)
    assert local_wall(daily.next_occurrence(thursday), apia) == datetime(2011, 12, 31, 9, 0)


def test_apia_weekly_on_the_skipped_weekday_waits_a_further_week() -> None:
    # Friday 2011-12-30 did not exist in Samoa: a Friday cadence goes from the 23rd to
    # 6 January 2012 (+14:00), a fortnight later.
    cadence = Cadence.create("weekly", [5], "09:00", "Pacific/Apia")
    after_the_23rd = datetime(2011, 12, 23, 10, 0, tzinfo=ZoneInfo("Pacific/Apia"))
    assert cadence.next_occurrence(after_the_23rd) == utc(2012, 1, 5, 19, 0)


def test_daily_and_weekdays_fill_in_their_days() -> None:
    assert Cadence.create("daily").days == (0, 1, 2, 3, 4, 5, 6)
    assert Cadence.create("weekdays").days == (1, 2, 3, 4, 5)
    assert Cadence.create("daily").delivery_time == time(9, 0)


def test_after_with_another_offset_is_normalised() -> None:
    cadence = Cadence.create("daily", (), "09:00", "Europe/London")
    tokyo = datetime(2026, 1, 5, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:00 UTC
    assert cadence.next_occurrence(tokyo) == utc(2026, 1, 5, 9, 0)


# --------------------------------------------------------------------------- validation


def _field_of(call: object) -> set[str]:
    assert callable(call)
    with pytest.raises(ValidationError) as raised:
        call()
    return set(raised.value.field_errors)


@pytest.mark.parametrize(
    ("mode", "days"),
    [
        ("custom", []),
        ("custom", [-1]),
        ("custom", [7]),
        ("custom", [True]),
        ("custom", [1, 1]),
        ("weekly", []),
        ("weekly", [1, 2]),
        ("weekly", [False]),
        ("daily", [1, 2]),
        ("weekdays", [0, 1, 2, 3, 4, 5, 6]),
    ],
)
def test_invalid_days_are_rejected(mode: str, days: list[int]) -> None:
    assert _field_of(lambda: Cadence.create(mode, days)) == {"days"}


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "", "Europe", "America/Argentina", "../etc/passwd", "x" * 300]
)
def test_unknown_time_zones_are_rejected(zone: str) -> None:
    assert _field_of(lambda: Cadence.create("daily", (), "09:00", zone)) == {"timezone"}


@pytest.mark.parametrize(
    "value", ["9:00", "24:00", "12:60", "noon", "", "09:00:00", "09:00\n", " 09:00", "0\u0669:00"]
)
def test_malformed_delivery_times_are_rejected(value: str) -> None:
    assert _field_of(lambda: Cadence.create("daily", (), value)) == {"deliveryTime"}


def test_delivery_time_objects_with_seconds_or_offset_are_rejected() -> None:
    assert _field_of(lambda: Cadence.create("daily", (), time(9, 0, 30))) == {"deliveryTime"}
    assert _field_of(lambda: Cadence.create("daily", (), time(9, 0, tzinfo=UTC))) == {
        "deliveryTime"
    }


def test_unknown_mode_is_rejected() -> None:
    assert _field_of(lambda: Cadence.create("hourly")) == {"mode"}


def test_naive_after_is_rejected() -> None:
    cadence = Cadence.create("daily")
    assert _field_of(lambda: cadence.next_occurrence(datetime(2026, 1, 5, 9, 0))) == {"after"}


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "right/UTC", "posix/UTC"])
def test_server_and_placeholder_zones_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        load_timezone(name)
    assert "timezone" in raised.value.field_errors
