"""An organization's plan: how many projects it may keep active, and how high its admins
may set its daily cost limit.

Many Futures prices by projects, not by how often they deliver, so the plan caps active
projects; the ceiling stops an admin from raising the daily limit past what the operator
sold. The plan is the operator's, never the organization's: it is set by the operator's
command or from Clerk's organization metadata, and admins only read it.

Each organization stores its overrides only (``None``: the operator's default, a
setting), so changing a default reaches every organization without one of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from manyfutures.core.activity.recording import Recorder, changed_settings
from manyfutures.core.identity.model import DEFAULT_DAILY_COST_LIMIT_GBP, Organization
from manyfutures.core.shared.errors import ValidationError

DEFAULT_MAX_ACTIVE_PROJECTS = 10
DEFAULT_DAILY_LIMIT_CEILING_GBP = Decimal("500.00")
# Sanity caps: a value past them is a typo, not a plan.
MAX_ACTIVE_PROJECTS_CAP = 100_000
MAX_DAILY_COST_LIMIT_GBP = Decimal("100000.00")
PENNY = Decimal("0.01")


def validate_gbp(field: str, value: object) -> Decimal:
    """Money a person typed: a Decimal with at most two places, from £0 to the sanity cap.

    Integers are taken (an amount in whole pounds); floats never are, as a binary
    fraction is not the amount that was meant.
    """
    try:
        amount = Decimal(value) if isinstance(value, str | int) else Decimal("NaN")
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite():
        raise ValidationError.for_field(field, f"{field} must be a decimal amount such as '50.00'")
    if amount < 0 or amount > MAX_DAILY_COST_LIMIT_GBP:
        raise ValidationError.for_field(
            field, f"{field} must be between 0 and {MAX_DAILY_COST_LIMIT_GBP}"
        )
    if amount != amount.quantize(PENNY):
        raise ValidationError.for_field(field, f"{field} has at most two decimal places")
    return amount.quantize(PENNY)


def validate_max_active_projects(value: object, field: str = "maxActiveProjects") -> int:
    """A whole number of projects from 0 (none may be active) to the sanity cap."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.for_field(field, f"{field} must be a whole number")
    if not 0 <= value <= MAX_ACTIVE_PROJECTS_CAP:
        raise ValidationError.for_field(
            field, f"{field} must be between 0 and {MAX_ACTIVE_PROJECTS_CAP}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan in force: the operator's defaults, or an organization's resolved plan."""

    max_active_projects: int
    daily_limit_ceiling_gbp: Decimal

    @classmethod
    def defaults(cls, max_active_projects: int, daily_limit_ceiling_gbp: str) -> Plan:
        """The operator's defaults, checked by the rules a plan's values obey. A default
        ceiling under the default daily limit is refused: every new organization would
        start above its own plan."""
        ceiling = validate_gbp("dailyLimitCeilingGbp", daily_limit_ceiling_gbp)
        if ceiling < DEFAULT_DAILY_COST_LIMIT_GBP:
            raise ValidationError.for_field(
                "dailyLimitCeilingGbp",
                f"the default ceiling must be at least the default daily limit, "
                f"{DEFAULT_DAILY_COST_LIMIT_GBP}",
            )
        return cls(validate_max_active_projects(max_active_projects), ceiling)


@dataclass(frozen=True, slots=True)
class PlanOverrides:
    """What an organization stores of its plan; ``None`` takes the operator's default."""

    max_active_projects: int | None = None
    daily_limit_ceiling_gbp: Decimal | None = None

    def snapshot(self) -> dict[str, object]:
        """For the audit trail; ``None`` reads as "the default"."""
        ceiling = self.daily_limit_ceiling_gbp
        return {
            "maxActiveProjects": self.max_active_projects,
            "dailyLimitCeilingGbp": None if ceiling is None else str(ceiling),
        }


def overrides_of(organization: Organization) -> PlanOverrides:
    return PlanOverrides(organization.max_active_projects, organization.daily_limit_ceiling_gbp)


def resolve_plan(organization: Organization | None, defaults: Plan) -> Plan:
    """The plan in force: the organization's overrides over the operator's defaults (an
    organization with no row yet has the defaults)."""
    overrides = overrides_of(organization) if organization is not None else PlanOverrides()
    return Plan(
        defaults.max_active_projects
        if overrides.max_active_projects is None
        else overrides.max_active_projects,
        defaults.daily_limit_ceiling_gbp
        if overrides.daily_limit_ceiling_gbp is None
        else overrides.daily_limit_ceiling_gbp,
    )


def check_limit_within_plan(limit: Decimal, plan: Plan) -> None:
    """An admin may set the daily limit up to the plan's ceiling, never past it."""
    if limit > plan.daily_limit_ceiling_gbp:
        message = (
            f"dailyCostLimitGbp may be at most the plan's ceiling of "
            f"{plan.daily_limit_ceiling_gbp}; ask us to raise the ceiling"
        )
        raise ValidationError(
            "the daily cost limit is above the plan's ceiling", {"dailyCostLimitGbp": [message]}
        )


def change_plan(
    organization: Organization,
    overrides: PlanOverrides,
    defaults: Plan,
    record: Recorder,
    source: str,
) -> bool:
    """Give the organization these overrides, audited with who set them (``source``:
    ``operator`` or ``clerk``); False if nothing changed.

    A daily limit above the resulting ceiling comes down to it, audited as a change of
    the limit, so no organization is left spending past its plan. The caller writes the
    organization and commits.
    """
    changed = False
    old, new = changed_settings(overrides_of(organization).snapshot(), overrides.snapshot())
    if new:
        organization.max_active_projects = overrides.max_active_projects
        organization.daily_limit_ceiling_gbp = overrides.daily_limit_ceiling_gbp
        record.audit(
            "organization.plan", "organization", organization.id, old=old, new={**new, "by": source}
        )
        changed = True
    # Checked even when the overrides stay: a default ceiling the operator lowered since
    # is brought to bear the next time the plan is set.
    ceiling = resolve_plan(organization, defaults).daily_limit_ceiling_gbp
    if organization.daily_cost_limit_gbp > ceiling:
        record.audit(
            "organization.update",
            "organization",
            organization.id,
            old={"dailyCostLimitGbp": str(organization.daily_cost_limit_gbp)},
            new={"dailyCostLimitGbp": str(ceiling), "reason": "plan ceiling"},
        )
        organization.daily_cost_limit_gbp = ceiling
        changed = True
    return changed
