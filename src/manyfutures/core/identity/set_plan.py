"""The operator sets an organization's plan (``manyfutures orgs set-plan``)."""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.identity.plans import (
    Plan,
    PlanOverrides,
    change_plan,
    overrides_of,
    resolve_plan,
    validate_gbp,
    validate_max_active_projects,
)
from manyfutures.core.identity.use_cases import PlanUseCase, load_organization
from manyfutures.core.shared.errors import FieldErrors, ValidationError


@dataclass(frozen=True, slots=True)
class SetPlanCommand:
    """A value left as ``None`` keeps the stored one; ``to_defaults`` first puts both back
    to the operator's defaults, so ``to_defaults`` with a value sets that one only."""

    organization_id: str
    max_active_projects: int | None = None
    daily_limit_ceiling_gbp: str | None = None
    to_defaults: bool = False

    @property
    def changes_nothing(self) -> bool:
        given = (self.max_active_projects, self.daily_limit_ceiling_gbp)
        return not self.to_defaults and given == (None, None)


@dataclass(frozen=True, slots=True)
class PlanSet:
    organization_id: str
    plan: Plan
    overrides: PlanOverrides
    daily_cost_limit_gbp: str
    changed: bool


class SetPlan(PlanUseCase):
    """One unit of work in the organization's scope, under its row lock; audited as the
    operator's (no user). The daily limit comes down to a lower ceiling."""

    def __call__(self, command: SetPlanCommand) -> PlanSet:
        if command.changes_nothing:
            raise ValidationError(
                "nothing to set: give a maximum of active projects, a ceiling, or the defaults"
            )
        errors = FieldErrors()
        given_max, given_ceiling = command.max_active_projects, command.daily_limit_ceiling_gbp
        most = (
            None
            if given_max is None
            else errors.check(lambda: validate_max_active_projects(given_max))
        )
        ceiling = (
            None
            if given_ceiling is None
            else errors.check(lambda: validate_gbp("dailyLimitCeilingGbp", given_ceiling))
        )
        errors.raise_if_any("the plan is not valid")
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            organization = load_organization(uow, locked=True)
            base = PlanOverrides() if command.to_defaults else overrides_of(organization)
            overrides = PlanOverrides(
                base.max_active_projects if most is None else most,
                base.daily_limit_ceiling_gbp if ceiling is None else ceiling,
            )
            record = Recorder(uow, self._ids, None, now)
            changed = change_plan(organization, overrides, self._plan_defaults, record, "operator")
            if changed:
                organization.updated_at = now
                uow.organizations.update(organization)
                uow.commit()
        return PlanSet(
            organization.id,
            resolve_plan(organization, self._plan_defaults),
            overrides_of(organization),
            str(organization.daily_cost_limit_gbp),
            changed,
        )
