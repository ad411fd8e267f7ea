"""The range of UTC dates ``GET /v1/usage`` answers for: forwards, at most 92 days."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.costs.usage_history import MAX_USAGE_DAYS, usage_days
from manyfutures.core.shared.errors import ValidationError

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@given(dates, st.integers(-400, 400))
def test_every_day_once_in_order_or_a_field_error(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    if span < 0:
        with pytest.raises(ValidationError) as backwards:
            usage_days(first, last)
        assert list(backwards.value.field_errors) == ["from"]
        return
    if span + 1 > MAX_USAGE_DAYS:
        with pytest.raises(ValidationError) as too_long:
            usage_days(first, last)
        assert list(too_long.value.field_errors) == ["to"]
        return
    days = usage_days(first, last)
    assert days[0] == first and days[-1] == last
    assert len(days) == span + 1
    assert all(later - earlier == timedelta(days=1) for earlier, later in itertools.pairwise(days))


def test_ninety_two_days_is_the_most() -> None:
    first = date(2026, 1, 1)
    assert len(usage_days(first, date(2026, 4, 2))) == 92
    with pytest.raises(ValidationError, match="ask up to 2026-04-02"):
        usage_days(first, date(2026, 4, 3))
