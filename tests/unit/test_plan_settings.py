"""The operator's default plan: two settings, checked at start-up, and what every
organization without an override of its own gets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from manyfutures.core.identity.plans import Plan
from manyfutures.core.identity.use_cases import ActorQuery
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings, SettingsError
from tests.support.container import deterministic_container
from tests.unit.use_cases.conftest import Harness


def test_the_defaults_are_ten_projects_and_a_500_pound_ceiling() -> None:
    settings = Settings.from_env({})
    assert (settings.default_max_active_projects, settings.default_daily_limit_ceiling_gbp) == (
        10,
        "500.00",
    )


def test_the_container_gives_organizations_the_operators_defaults() -> None:
    settings = Settings.from_env(
        {
            "MANYFUTURES_DEFAULT_MAX_ACTIVE_PROJECTS": "3",
            "MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP": "75",
        }
    )
    container = deterministic_container(settings)
    assert container.adapters.plan_defaults() == Plan(3, Decimal("75.00"))
    Harness.member_of(container, "org_a", "user_a", Role.ADMIN)
    plan = container.identity.get_organization()(ActorQuery(Actor("user_a", "org_a", Role.ADMIN)))
    assert plan.plan == Plan(3, Decimal("75.00"))


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("MANYFUTURES_DEFAULT_MAX_ACTIVE_PROJECTS", "-1", "between 0 and"),
        ("MANYFUTURES_DEFAULT_MAX_ACTIVE_PROJECTS", "ten", "not a valid number"),
        ("MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP", "lots", "decimal amount"),
        ("MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP", "49.99", "at least the default daily"),
    ],
)
def test_a_bad_default_stops_start_up_naming_the_variable(
    variable: str, value: str, complaint: str
) -> None:
    with pytest.raises(SettingsError, match=variable) as refused:
        Settings.from_env({variable: value})
    assert complaint in str(refused.value)
