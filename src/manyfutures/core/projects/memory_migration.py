"""When a project's JSON memories should move to the agent_memory table.

The seed's MVP keeps memories on the project; these triggers say when that stops
being good enough. Each reason is reported so operators can see *why*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MEMORY_COUNT_THRESHOLD = 50
PARSE_TIME_THRESHOLD = timedelta(milliseconds=100)


class MigrationReason(enum.StrEnum):
    MEMORY_COUNT = "memory_count"
    SLOW_PARSE = "slow_parse"
    SEARCH_NEEDED = "search_needed"
    TIME_SINCE_LAUNCH = "time_since_launch"


@dataclass(frozen=True, slots=True)
class MemoryStats:
    memory_count: int
    parse_time: timedelta
    search_needed: bool


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("every month has at least 28 days")


def migration_reasons(
    stats: MemoryStats, now: datetime, launched_on: date | None
) -> list[MigrationReason]:
    """All triggers that hold; an empty list means the JSON store is still fine.

    ``launched_on`` is ``MANYFUTURES_LAUNCH_DATE``; without one (not launched yet) the
    time trigger never holds.
    """
    reasons: list[MigrationReason] = []
    if stats.memory_count >= MEMORY_COUNT_THRESHOLD:
        reasons.append(MigrationReason.MEMORY_COUNT)
    if stats.parse_time > PARSE_TIME_THRESHOLD:
        reasons.append(MigrationReason.SLOW_PARSE)
    if stats.search_needed:
        reasons.append(MigrationReason.SEARCH_NEEDED)
    if launched_on is not None and now.date() >= add_months(launched_on, 3):
        reasons.append(MigrationReason.TIME_SINCE_LAUNCH)
    return reasons
