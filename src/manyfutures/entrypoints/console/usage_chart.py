"""The admin's 30-day spend as an inline SVG bar chart, laid out here, drawn by the template.

No chart library and nothing from a CDN: the page must work offline, and thirty bars
are a little arithmetic. The scale's top is the larger of the highest day and the daily
limit, so a day at the limit reaches the limit line and nothing overflows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from manyfutures.core.costs.usage_history import DailyUsage

WIDTH = 600
HEIGHT = 160
GAP = 2
LABEL_EVERY = 7
MIN_VISIBLE = 2.0
"""A day that spent anything gets at least this height: pennies against a £50 limit
would otherwise draw nothing, like a day that spent nothing."""


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    """The day and its spend, for the bar's tooltip and screen readers."""
    day_label: str | None
    """Under the axis: today's, and every ``LABEL_EVERY`` days back from it."""
    today: bool


@dataclass(frozen=True, slots=True)
class UsageChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    limit_y: float | None
    """Where the limit line is drawn; None when the limit is zero (nothing may be spent)."""


def usage_chart(days: Sequence[DailyUsage], limit_gbp: Decimal) -> UsageChart:
    top = max([limit_gbp, *(day.spent_gbp for day in days)])
    slot = WIDTH / max(len(days), 1)

    def height_of(amount: Decimal) -> float:
        return float(amount / top) * HEIGHT if top > 0 else 0.0

    def bar_height(amount: Decimal) -> float:
        return max(height_of(amount), MIN_VISIBLE) if amount > 0 else 0.0

    bars = []
    for n, day in enumerate(days):
        height = bar_height(day.spent_gbp)
        from_last = len(days) - 1 - n
        last = from_last == 0
        bars.append(
            Bar(
                x=round(n * slot + GAP / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(slot - GAP, 2),
                height=round(height, 2),
                label=f"{day.day.isoformat()}: £{day.spent_gbp:.2f}",
                day_label=day.day.strftime("%d %b") if from_last % LABEL_EVERY == 0 else None,
                today=last,
            )
        )
    limit_y = round(HEIGHT - height_of(limit_gbp), 2) if limit_gbp > 0 else None
    return UsageChart(WIDTH, HEIGHT, tuple(bars), limit_y)
