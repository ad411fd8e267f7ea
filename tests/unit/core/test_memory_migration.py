"""When project memories should move from JSON to the agent_memory table."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.projects.memory_migration import (
    MemoryStats,
    MigrationReason,
    add_months,
    migration_reasons,
)

LAUNCH = date(2025, 11, 30)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
month_shifts = st.integers(min_value=-1_200, max_value=1_200)


def three_months_after(day: date) -> date:
    """Independent calendar arithmetic: count months from year 0, clamp with monthrange."""
    index = day.year * 12 + (day.month - 1) + 3
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@st.composite
def cases(draw: st.DrawFn) -> tuple[MemoryStats, datetime, date]:
    launched = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
    # Mostly look within a few days of the three-month mark, where the edge is.
    around = datetime.combine(three_months_after(launched), time(0), tzinfo=UTC)
    now = around + timedelta(minutes=draw(st.integers(-5 * 1440, 5 * 1440)))
    if draw(st.booleans()):
        now = datetime.combine(launched, time(0), tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 400 * 1440))
        )
    stats = MemoryStats(
        memory_count=draw(st.one_of(st.integers(0, 200), st.integers(45, 55))),
        parse_time=timedelta(
            microseconds=draw(st.one_of(st.integers(0, 10**6), st.integers(99_990, 100_010)))
        ),
        search_needed=draw(st.booleans()),
    )
    return stats, now, launched


@settings(max_examples=400)
@given(cases())
def test_reports_exactly_the_reasons_that_hold(case: tuple[MemoryStats, datetime, date]) -> None:
    stats, now, launched = case
    wanted = set()
    if stats.memory_count >= 50:
        wanted.add(MigrationReason.MEMORY_COUNT)
    if stats.parse_time.total_seconds() * 1000 > 100:
        wanted.add(MigrationReason.SLOW_PARSE)
    if stats.search_needed:
        wanted.add(MigrationReason.SEARCH_NEEDED)
    if now.date() >= three_months_after(launched):
        wanted.add(MigrationReason.TIME_SINCE_LAUNCH)

    reasons = migration_reasons(stats, now, launched)

    assert set(reasons) == wanted
    assert len(reasons) == len(wanted)  # each reason once


@pytest.mark.parametrize(("count", "slow", "search", "old"), list(product([False, True], repeat=4)))
def test_every_combination_of_triggers(count: bool, slow: bool, search: bool, old: bool) -> None:
    stats = MemoryStats(
        memory_count=50 if count else 49,
        parse_time=timedelta(milliseconds=100, microseconds=1 if slow else 0),
        search_needed=search,
    )
    # Launched 30 November 2025: three calendar months later is 28 February 2026.
    now = datetime(2026, 2, 28, 0, 0) if old else datetime(2026, 2, 27, 23, 59, 59)
    reasons = set(migration_reasons(stats, now.replace(tzinfo=UTC), LAUNCH))
    assert (MigrationReason.MEMORY_COUNT in reasons) is count
    assert (MigrationReason.SLOW_PARSE in reasons) is slow
    assert (MigrationReason.SEARCH_NEEDED in reasons) is search
    assert (MigrationReason.TIME_SINCE_LAUNCH in reasons) is old


def test_a_small_fast_young_project_stays_on_json() -> None:
    stats = MemoryStats(memory_count=0, parse_time=timedelta(0), search_needed=False)
    assert migration_reasons(stats, datetime(2025, 12, 1, tzinfo=UTC), LAUNCH) == []


@given(st.datetimes(timezones=st.just(UTC)))
def test_without_a_launch_date_time_never_triggers(now: datetime) -> None:
    stats = MemoryStats(memory_count=0, parse_time=timedelta(0), search_needed=False)
    assert migration_reasons(stats, now, None) == []


def test_exactly_one_hundred_milliseconds_is_not_slow() -> None:
    stats = MemoryStats(memory_count=0, parse_time=timedelta(milliseconds=100), search_needed=False)
    assert migration_reasons(stats, datetime(2025, 12, 1, tzinfo=UTC), LAUNCH) == []


# --------------------------------------------------------------------------- add_months


def test_month_ends_are_clamped() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 31), 1) == date(2025, 4, 30)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@settings(max_examples=400)
@given(dates, month_shifts)
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months


@settings(max_examples=400)
@given(dates, month_shifts)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day: date, months: int) -> None:
    result = add_months(day, months)
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day <= day.day
    assert result.day == min(day.day, last)


@settings(max_examples=200)
@given(dates)
def test_adding_zero_months_is_the_identity(day: date) -> None:
    assert add_months(day, 0) == day


@settings(max_examples=200)
@given(
    st.builds(date, st.integers(1900, 2200), st.integers(1, 12), st.integers(1, 28)), month_shifts
)
def test_days_up_to_28_round_trip(day: date, months: int) -> None:
    assert add_months(add_months(day, months), -months) == day
