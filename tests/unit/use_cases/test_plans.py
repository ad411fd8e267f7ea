"""Plans: the operator sets them (command or Clerk metadata), admins read them and set
their daily limit up to the ceiling."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from manyfutures.core.identity.plans import Plan, PlanOverrides
from manyfutures.core.identity.set_plan import SetPlan, SetPlanCommand
from manyfutures.core.identity.use_cases import (
    ActorQuery,
    DeleteOrganizationCommand,
    SyncOrganizationCommand,
    UpdateOrganizationCommand,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand, ProjectCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, ValidationError
from tests.unit.use_cases.conftest import Harness


@pytest.fixture
def set_plan(harness: Harness) -> SetPlan:
    return harness.container.identity.set_plan()


def _audit(harness: Harness, action: str) -> list[tuple[str | None, str | None, str | None]]:
    with harness.uow() as uow:
        rows = uow.audit_log.list(action=action)
    return [(row.user_id, row.old_value, row.new_value) for row in rows]


def test_the_defaults_are_the_plan_until_the_operator_sets_one(
    harness: Harness, alice: Actor, set_plan: SetPlan
) -> None:
    settings = harness.container.identity.get_organization()(ActorQuery(alice))
    assert settings.plan == Plan(10, Decimal("500.00"))
    result = set_plan(SetPlanCommand("org_a", 25, "1000"))
    assert result.changed
    assert result.plan == Plan(25, Decimal("1000.00"))
    assert harness.container.identity.get_organization()(ActorQuery(alice)).plan == result.plan
    [(user, old, new)] = _audit(harness, "organization.plan")
    assert user is None
    assert json.loads(old or "") == {"dailyLimitCeilingGbp": None, "maxActiveProjects": None}
    assert json.loads(new or "") == {
        "dailyLimitCeilingGbp": "1000.00",
        "maxActiveProjects": 25,
        "by": "operator",
    }


def test_a_value_not_given_is_kept_and_default_puts_the_rest_back(
    harness: Harness, alice: Actor, set_plan: SetPlan
) -> None:
    set_plan(SetPlanCommand("org_a", 25, "1000"))
    assert set_plan(SetPlanCommand("org_a", max_active_projects=3)).plan == Plan(
        3, Decimal("1000.00")
    )
    assert set_plan(SetPlanCommand("org_a", 4, to_defaults=True)).plan == Plan(4, Decimal("500.00"))
    back = set_plan(SetPlanCommand("org_a", to_defaults=True))
    assert (back.plan, back.overrides) == (Plan(10, Decimal("500.00")), PlanOverrides())
    assert not set_plan(SetPlanCommand("org_a", to_defaults=True)).changed
    assert len(_audit(harness, "organization.plan")) == 4


def test_a_lower_ceiling_brings_the_limit_down_audited(
    harness: Harness, alice: Actor, set_plan: SetPlan
) -> None:
    update = harness.container.identity.update_organization()
    update(UpdateOrganizationCommand(alice, daily_cost_limit_gbp="400.00"))
    result = set_plan(SetPlanCommand("org_a", daily_limit_ceiling_gbp="120"))
    assert result.daily_cost_limit_gbp == "120.00"
    settings = harness.container.identity.get_organization()(ActorQuery(alice))
    assert settings.organization.daily_cost_limit_gbp == Decimal("120.00")
    lowered = _audit(harness, "organization.update")[0]  # newest first
    assert lowered[0] is None
    assert json.loads(lowered[1] or "") == {"dailyCostLimitGbp": "400.00"}
    assert json.loads(lowered[2] or "") == {
        "dailyCostLimitGbp": "120.00",
        "reason": "plan ceiling",
    }
    # A ceiling above the limit leaves the limit alone.
    assert set_plan(
        SetPlanCommand("org_a", daily_limit_ceiling_gbp="900")
    ).daily_cost_limit_gbp == ("120.00")


def test_refusals(harness: Harness, alice: Actor, set_plan: SetPlan) -> None:
    with pytest.raises(ValidationError, match="nothing to set"):
        set_plan(SetPlanCommand("org_a"))
    with pytest.raises(ValidationError) as invalid:
        set_plan(SetPlanCommand("org_a", -1, "1.234"))
    assert sorted(invalid.value.field_errors) == ["dailyLimitCeilingGbp", "maxActiveProjects"]
    with pytest.raises(NotFoundError):
        set_plan(SetPlanCommand("org_nobody", 5))
    harness.container.identity.apply_identity_change()(DeleteOrganizationCommand("org_a"))
    with pytest.raises(NotFoundError):
        set_plan(SetPlanCommand("org_a", 5))
    assert _audit(harness, "organization.plan") == []


def test_admins_set_their_limit_up_to_the_ceiling_never_past_it(
    harness: Harness, alice: Actor, set_plan: SetPlan
) -> None:
    update = harness.container.identity.update_organization()
    assert update(
        UpdateOrganizationCommand(alice, daily_cost_limit_gbp="500.00")
    ).organization.daily_cost_limit_gbp == Decimal("500.00")
    with pytest.raises(ValidationError) as refused:
        update(UpdateOrganizationCommand(alice, daily_cost_limit_gbp="500.01"))
    assert refused.value.field_errors["dailyCostLimitGbp"] == [
        "dailyCostLimitGbp may be at most the plan's ceiling of 500.00; ask us to raise the ceiling"
    ]
    set_plan(SetPlanCommand("org_a", daily_limit_ceiling_gbp="2000"))
    assert update(
        UpdateOrganizationCommand(alice, daily_cost_limit_gbp="2000")
    ).organization.daily_cost_limit_gbp == Decimal("2000.00")


def test_the_settings_count_active_projects(harness: Harness, alice: Actor) -> None:
    for title in ("one", "two", "three"):
        harness.create_project(CreateProjectCommand(alice, title, "brief"))
    with harness.uow() as uow:
        ids = [p.id for p in uow.projects.list(10)]
    harness.pause(ProjectCommand(alice, ids[0]))
    harness.delete(ProjectCommand(alice, ids[1]))
    settings = harness.container.identity.get_organization()(ActorQuery(alice))
    assert settings.active_projects == 1


def test_clerk_metadata_sets_the_plan_of_a_new_or_known_organization(
    harness: Harness, alice: Actor
) -> None:
    apply = harness.container.identity.apply_identity_change()
    assert apply(SyncOrganizationCommand("org_new", "New", PlanOverrides(25, Decimal("1000"))))
    with harness.uow("org_new") as uow:
        created = uow.organizations.get()
        audit = uow.audit_log.list(action="organization.plan")
    assert created is not None
    assert (created.name, created.max_active_projects, created.daily_limit_ceiling_gbp) == (
        "New",
        25,
        Decimal("1000"),
    )
    assert json.loads(audit[0].new_value or "")["by"] == "clerk"

    harness.container.identity.update_organization()(
        UpdateOrganizationCommand(alice, daily_cost_limit_gbp="300")
    )
    same_name = SyncOrganizationCommand("org_a", "Org org_a", PlanOverrides(None, Decimal("200")))
    assert apply(same_name)
    assert not apply(same_name)  # a redelivery changes nothing
    settings = harness.container.identity.get_organization()(ActorQuery(alice))
    assert settings.plan == Plan(10, Decimal("200"))
    assert settings.organization.daily_cost_limit_gbp == Decimal("200.00")
    # No plan in the metadata: the stored plan stays.
    assert apply(SyncOrganizationCommand("org_a", "Renamed"))
    assert harness.container.identity.get_organization()(ActorQuery(alice)).plan == Plan(
        10, Decimal("200")
    )
