"""The organization's AI spend day by day, for every member: ``GET /v1/usage``.

The day is the UTC date, as for the daily limit. A request spans at most 92 days (a
quarter), so its answer stays small whatever the range asked; every day of the range
gets a row, zero where nothing was spent, so a chart needs no gaps filled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from manyfutures.core.costs.model import Operation, TokenUsageDaily
from manyfutures.core.costs.ports import UsageStore
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.use_case import UseCase

MAX_USAGE_DAYS = 92


def usage_days(first: date, last: date) -> list[date]:
    """Every UTC date from ``first`` to ``last``, both included; ValidationError for a
    range that runs backwards or is longer than MAX_USAGE_DAYS."""
    if first > last:
        raise ValidationError.for_field("from", "from must be on or before to")
    count = (last - first).days + 1
    if count > MAX_USAGE_DAYS:
        latest = first + timedelta(days=MAX_USAGE_DAYS - 1)
        raise ValidationError.for_field(
            "to",
            f"at most {MAX_USAGE_DAYS} days per request ({count} asked); "
            f"ask up to {latest.isoformat()} and continue from the next day",
        )
    return [first + timedelta(days=n) for n in range(count)]


@dataclass(frozen=True, slots=True)
class OperationUsage:
    operation: Operation
    tokens: int
    cost_gbp: Decimal


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    spent_gbp: Decimal
    tokens: int
    episodes: int
    operations: tuple[OperationUsage, ...]
    hourly_peak: int
    peak_hour: int | None

    @classmethod
    def of(cls, day: date, aggregate: TokenUsageDaily | None) -> DailyUsage:
        if aggregate is None:
            return cls(day, Decimal("0"), 0, 0, (), 0, None)
        return cls(
            day,
            aggregate.total_cost_gbp,
            aggregate.total_tokens,
            aggregate.episode_count,
            tuple(
                OperationUsage(operation, totals.tokens, totals.cost_gbp)
                for operation, totals in sorted(aggregate.operation_breakdown.items())
            ),
            aggregate.hourly_peak,
            aggregate.peak_hour,
        )


@dataclass(frozen=True, slots=True)
class UsageHistoryQuery:
    actor: Actor
    first: date
    last: date


class ListDailyUsage(UseCase[UsageStore]):
    """Reads the daily aggregate only: a range costs one indexed read of at most 92 rows,
    however many raw usage rows lie behind them."""

    def __call__(self, query: UsageHistoryQuery) -> Sequence[DailyUsage]:
        with self._uow(query.actor.organization_id) as uow:
            return daily_usage(uow, query.first, query.last)


def daily_usage(uow: UsageStore, first: date, last: date) -> list[DailyUsage]:
    """Every day from ``first`` to ``last``, oldest first, zero where nothing was spent:
    one read of the daily aggregate."""
    days = usage_days(first, last)
    stored = {row.date: row for row in uow.token_usage.daily_range(days[0], days[-1])}
    return [DailyUsage.of(day, stored.get(day)) for day in days]
