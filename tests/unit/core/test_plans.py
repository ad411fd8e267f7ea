"""The plan's rules: overrides over the operator's defaults, the ceiling over the limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.identity.plans import (
    Plan,
    PlanOverrides,
    change_plan,
    check_limit_within_plan,
    resolve_plan,
    validate_gbp,
    validate_max_active_projects,
)
from manyfutures.core.shared.errors import ValidationError
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import SequentialIds

money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
counts = st.integers(0, 100_000)
DEFAULTS = Plan(10, Decimal("500.00"))


@given(st.none() | counts, st.none() | money, counts, money)
def test_an_override_wins_and_none_takes_the_default(
    most: int | None, ceiling: Decimal | None, default_most: int, default_ceiling: Decimal
) -> None:
    organization = b.organization(max_active_projects=most, daily_limit_ceiling_gbp=ceiling)
    plan = resolve_plan(organization, Plan(default_most, default_ceiling))
    assert plan.max_active_projects == (default_most if most is None else most)
    assert plan.daily_limit_ceiling_gbp == (default_ceiling if ceiling is None else ceiling)


def test_an_organization_with_no_row_yet_has_the_defaults() -> None:
    assert resolve_plan(None, DEFAULTS) == DEFAULTS


@settings(max_examples=200)
@given(limit=money, ceiling=money)
def test_a_limit_is_allowed_exactly_up_to_the_ceiling(limit: Decimal, ceiling: Decimal) -> None:
    plan = Plan(10, ceiling)
    if limit <= ceiling:
        check_limit_within_plan(limit, plan)
        return
    with pytest.raises(ValidationError) as refused:
        check_limit_within_plan(limit, plan)
    assert f"ceiling of {ceiling}" in refused.value.field_errors["dailyCostLimitGbp"][0]


@settings(max_examples=200)
@given(
    limit=money,
    before=st.none() | money,
    after=st.none() | money,
    most=st.none() | counts,
)
def test_changing_the_plan_never_leaves_the_limit_above_the_ceiling(
    limit: Decimal, before: Decimal | None, after: Decimal | None, most: int | None
) -> None:
    organization = b.organization(daily_cost_limit_gbp=limit, daily_limit_ceiling_gbp=before)
    store = InMemoryStore()
    with InMemoryUnitOfWorkFactory(store)("org_a") as uow:
        record = Recorder(uow, SequentialIds(), None, T0)
        changed = change_plan(organization, PlanOverrides(most, after), DEFAULTS, record, "test")
        audit = uow.audit_log.list()
    ceiling = resolve_plan(organization, DEFAULTS).daily_limit_ceiling_gbp
    assert organization.daily_cost_limit_gbp == min(limit, ceiling)
    assert (organization.max_active_projects, organization.daily_limit_ceiling_gbp) == (most, after)
    actions = sorted(row.action for row in audit)
    plan_moved = (before, None) != (after, most)
    lowered = limit > ceiling
    assert actions == sorted(
        (["organization.plan"] if plan_moved else []) + (["organization.update"] if lowered else [])
    )
    assert changed == (plan_moved or lowered)


@pytest.mark.parametrize(
    "value", ["-0.01", "100000.01", "1.234", "abc", "NaN", "Infinity", 1.5, True, None, [], ""]
)
def test_money_that_is_not_a_plain_amount_is_refused(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_gbp("dailyLimitCeilingGbp", value)
    assert list(refused.value.field_errors) == ["dailyLimitCeilingGbp"]


@pytest.mark.parametrize(
    ("value", "amount"),
    [("0", "0.00"), ("12.5", "12.50"), (1000, "1000.00"), ("100000", "100000.00")],
)
def test_money_is_kept_to_the_penny(value: object, amount: str) -> None:
    assert validate_gbp("dailyLimitCeilingGbp", value) == Decimal(amount)


@pytest.mark.parametrize("value", [-1, 100_001, 2.0, "3", True, None])
def test_a_maximum_of_active_projects_is_a_whole_number_in_range(value: object) -> None:
    with pytest.raises(ValidationError):
        validate_max_active_projects(value)


def test_the_operators_defaults_must_not_start_organizations_above_their_plan() -> None:
    assert Plan.defaults(10, "500.00") == DEFAULTS
    assert Plan.defaults(0, "50") == Plan(0, Decimal("50.00"))
    with pytest.raises(ValidationError, match="at least the default daily limit"):
        Plan.defaults(10, "49.99")
    with pytest.raises(ValidationError):
        Plan.defaults(-1, "500")
