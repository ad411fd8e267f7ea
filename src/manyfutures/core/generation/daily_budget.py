"""Today's budget as the API shows it, and the early 429 for requests that would spend.

The gate itself is at the start of every run (spending.py); asking "generate now" or
"retry" while the organization's breaker is open would only queue a slot the gate
must refuse, so those requests are answered at once with when the day resets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from manyfutures.core.costs.breaker import BreakerState, DailyBudget
from manyfutures.core.costs.budget import DailyCostLimitReachedError, next_reset, utc_day
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.identity.use_cases import ActorQuery
from manyfutures.core.shared.errors import NotFoundError
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class UsageToday:
    day: date
    state: BreakerState
    spent_gbp: Decimal
    reserved_gbp: Decimal
    limit_gbp: Decimal
    resets_at: datetime


def usage_today(uow: GenerationUnitOfWork, now: datetime) -> UsageToday:
    """As last committed, without locking the day: a view, not a decision."""
    organization = uow.organizations.get()
    if organization is None:
        raise NotFoundError("organization", uow.organization_id)
    limit = organization.daily_cost_limit_gbp
    day = uow.budget_days.get(utc_day(now))
    budget = day.budget(limit) if day is not None else DailyBudget(limit)
    return UsageToday(
        day=utc_day(now),
        state=budget.state,
        spent_gbp=budget.spent_gbp,
        reserved_gbp=budget.reserved_gbp,
        limit_gbp=limit,
        resets_at=next_reset(now),
    )


def refuse_spending_while_open(uow: GenerationUnitOfWork, now: datetime) -> None:
    """Raise DailyCostLimitReachedError if today's breaker is open."""
    if usage_today(uow, now).state is BreakerState.OPEN:
        raise DailyCostLimitReachedError(next_reset(now), now)


class GetUsageToday(UseCase[GenerationUnitOfWork]):
    """For any member: how much of today's limit is spent and reserved, and the state."""

    def __call__(self, query: ActorQuery) -> UsageToday:
        with self._uow(query.actor.organization_id) as uow:
            return usage_today(uow, self._clock.now())
