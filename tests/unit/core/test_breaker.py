"""The daily cost circuit breaker: spent plus reserved plus the new estimate must fit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.costs.breaker import BreakerState, DailyBudget
from manyfutures.core.shared.errors import ValidationError

money = st.decimals(min_value=0, max_value=1_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def budgets(draw: st.DrawFn) -> DailyBudget:
    limit = draw(money)
    # Half the time, spend close to the limit so the 80 % and 100 % edges get exercised.
    if draw(st.booleans()):
        spent = draw(money)
    else:
        spent = draw(st.decimals(min_value=0, max_value=limit, places=2))
    return DailyBudget(limit, spent, draw(money))


def expected_state(limit: Decimal, committed: Decimal) -> BreakerState:
    # 80 % written as a ratio of integers: committed / limit >= 4 / 5.
    if committed >= limit:
        return BreakerState.OPEN
    if committed * 5 >= limit * 4:
        return BreakerState.WARNING
    return BreakerState.CLOSED


@settings(max_examples=300)
@given(money, money, money)
def test_state_follows_committed_spend(limit: Decimal, spent: Decimal, reserved: Decimal) -> None:
    budget = DailyBudget(limit, spent, reserved)
    assert budget.committed_gbp == spent + reserved
    assert budget.state is expected_state(limit, spent + reserved)


@settings(max_examples=300)
@given(budgets(), money)
def test_allows_exactly_when_the_estimate_fits(budget: DailyBudget, estimate: Decimal) -> None:
    total = budget.spent_gbp + budget.reserved_gbp + estimate
    assert budget.allows(estimate) is (total <= budget.limit_gbp)


@settings(max_examples=300)
@given(budgets(), money)
def test_reserving_an_allowed_estimate_never_overshoots(
    budget: DailyBudget, estimate: Decimal
) -> None:
    after = DailyBudget(budget.limit_gbp, budget.spent_gbp, budget.reserved_gbp + estimate)
    if budget.allows(estimate):
        assert after.committed_gbp <= budget.limit_gbp
    else:
        assert after.committed_gbp > budget.limit_gbp


@settings(max_examples=200)
@given(budgets())
def test_an_open_breaker_allows_nothing_that_costs(budget: DailyBudget) -> None:
    if budget.state is BreakerState.OPEN:
        assert not budget.allows(Decimal("0.01"))


@settings(max_examples=200)
@given(
    st.sampled_from(["limit_gbp", "spent_gbp", "reserved_gbp"]),
    st.one_of(
        st.decimals(max_value=Decimal("-0.01"), allow_nan=False, allow_infinity=False),
        st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), -Decimal("1E+9")]),
    ),
)
def test_negative_or_non_finite_amounts_are_rejected(field: str, bad: Decimal) -> None:
    values = {"limit_gbp": Decimal("50"), "spent_gbp": Decimal("0"), "reserved_gbp": Decimal("0")}
    values[field] = bad
    with pytest.raises(ValidationError) as raised:
        DailyBudget(**values)
    assert set(raised.value.field_errors) == {field}


@pytest.mark.parametrize("value", [50, 50.0, "50"])
def test_amounts_must_be_decimals(value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        DailyBudget(value)  # type: ignore[arg-type]
    assert set(raised.value.field_errors) == {"limit_gbp"}


@pytest.mark.parametrize(
    "estimate", [Decimal("-0.01"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")]
)
def test_negative_or_non_finite_estimates_are_rejected(estimate: Decimal) -> None:
    with pytest.raises(ValidationError) as raised:
        DailyBudget(Decimal("50")).allows(estimate)
    assert set(raised.value.field_errors) == {"estimate_gbp"}


def test_state_edges_for_a_fifty_pound_limit() -> None:
    def state(spent: str, reserved: str = "0") -> BreakerState:
        return DailyBudget(Decimal("50"), Decimal(spent), Decimal(reserved)).state

    assert state("39.99") is BreakerState.CLOSED
    assert state("40.00") is BreakerState.WARNING
    assert state("30.00", "10.00") is BreakerState.WARNING
    assert state("49.99") is BreakerState.WARNING
    assert state("50.00") is BreakerState.OPEN
    assert state("25.00", "25.00") is BreakerState.OPEN


def test_reservations_count_against_the_limit() -> None:
    budget = DailyBudget(Decimal("50"), Decimal("30"), Decimal("15"))
    assert budget.allows(Decimal("5.00"))
    assert not budget.allows(Decimal("5.01"))
    assert DailyBudget(Decimal("0")).state is BreakerState.OPEN
    assert DailyBudget(Decimal("0")).allows(Decimal("0"))
