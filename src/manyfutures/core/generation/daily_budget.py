"""Today's budget as the API shows it, the early 429 for requests that would spend, and
the day's held-back slots resumed when an admin raises the limit.

The gate itself is at the start of every run (spending.py); asking "generate now" or
"retry" while the organization's breaker is open would only queue a slot the gate
must refuse, so those requests are answered at once with when the day resets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs.breaker import BreakerState, DailyBudget
from manyfutures.core.costs.budget import (
    DailyCostLimitReachedError,
    day_start,
    next_reset,
    utc_day,
)
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.generation.spending import organization_limit
from manyfutures.core.identity.use_cases import ActorQuery
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
    limit = organization_limit(uow)
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


class ResumeBlockedSlots(UseCase[GenerationUnitOfWork]):
    """The limit was raised: if today's breaker is closed now, the slots it held back today
    go back to pending, to be claimed on the next beat (and to ask the gate again).

    Slots of earlier days stay blocked: a day's work is not run late the next day.
    """

    def __call__(self, organization_id: str) -> int:
        now = self._clock.now()
        with self._uow(organization_id) as uow:
            if usage_today(uow, now).state is BreakerState.OPEN:
                return 0
            resets_at = next_reset(now)
            resumed = 0
            # Only the cost gate blocks items, and each is held for its day (queue.py).
            for item in uow.queue.blocked_for_update(day_start(now), resets_at):
                item.unblock()
                uow.queue.update(item)
                resumed += 1
            if resumed:
                Recorder(uow, self._ids, None, now).event(
                    "daily_limit_lifted", {"day": utc_day(now).isoformat(), "resumedItems": resumed}
                )
                uow.commit()
            return resumed
