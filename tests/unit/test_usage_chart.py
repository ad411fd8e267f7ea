"""The admin's 30-day chart is laid out in Python (no chart library): bars stay inside
the chart whatever the amounts, and the limit line sits where a day at the limit ends."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.costs.usage_history import DailyUsage
from manyfutures.entrypoints.console.usage_chart import HEIGHT, MIN_VISIBLE, WIDTH, usage_chart

FIRST = date(2026, 11, 2)
AMOUNTS = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)


def _days(amounts: list[Decimal]) -> list[DailyUsage]:
    return [
        DailyUsage(FIRST + timedelta(days=n), amount, 0, 0, (), 0, None)
        for n, amount in enumerate(amounts)
    ]


@given(st.lists(AMOUNTS, min_size=1, max_size=30), AMOUNTS)
def test_every_bar_stays_inside_the_chart(amounts: list[Decimal], limit: Decimal) -> None:
    chart = usage_chart(_days(amounts), limit)
    assert len(chart.bars) == len(amounts)
    for bar in chart.bars:
        assert 0 <= bar.y <= HEIGHT and 0 <= bar.height <= HEIGHT
        assert abs(bar.y + bar.height - HEIGHT) < 0.02
        assert bar.x >= 0 and bar.x + bar.width <= WIDTH + 0.01
    assert [bar.today for bar in chart.bars].count(True) == 1 and chart.bars[-1].today
    if chart.limit_y is not None:
        assert 0 <= chart.limit_y <= HEIGHT


def test_a_day_at_the_limit_reaches_the_limit_line() -> None:
    chart = usage_chart(_days([Decimal("0"), Decimal("25"), Decimal("50")]), Decimal("50"))
    assert chart.limit_y == 0
    assert [bar.height for bar in chart.bars] == [0, HEIGHT / 2, HEIGHT]
    assert chart.bars[1].label == "2026-11-03: £25.00"


def test_pennies_still_show_and_nothing_shows_nothing() -> None:
    chart = usage_chart(_days([Decimal("0.03"), Decimal("0")]), Decimal("50"))
    assert [bar.height for bar in chart.bars] == [MIN_VISIBLE, 0]


def test_a_day_over_a_lowered_limit_sets_the_scale() -> None:
    chart = usage_chart(_days([Decimal("80"), Decimal("20")]), Decimal("40"))
    assert chart.bars[0].height == HEIGHT  # the day over the limit is the top
    assert chart.limit_y == HEIGHT / 2


def test_nothing_spent_and_no_limit_draws_flat_bars_and_no_line() -> None:
    chart = usage_chart(_days([Decimal("0")] * 30), Decimal("0"))
    assert chart.limit_y is None
    assert all(bar.height == 0 for bar in chart.bars)
    assert [bar.day_label for bar in chart.bars if bar.day_label] == [
        "03 Nov",
        "10 Nov",
        "17 Nov",
        "24 Nov",
        "01 Dec",
    ]
