"""The admin page's usage: today's budget against the limit and the last 30 days' spend,
read together in one unit of work (the same reads as ``GET /v1/usage/today`` and
``GET /v1/usage``), so the bar for today and today's figures agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.costs.budget import utc_day
from manyfutures.core.costs.usage_history import DailyUsage, daily_usage
from manyfutures.core.generation.daily_budget import UsageToday, usage_today
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.use_case import UseCase

HISTORY_DAYS = 30


@dataclass(frozen=True, slots=True)
class UsageOverview:
    today: UsageToday
    days: Sequence[DailyUsage]
    """Oldest first, today last, every day present (zero where nothing was spent)."""


class GetUsageOverview(UseCase[GenerationUnitOfWork]):
    def __call__(self, actor: Actor) -> UsageOverview:
        actor.require_admin()
        now = self._clock.now()
        last = utc_day(now)
        with self._uow(actor.organization_id) as uow:
            today = usage_today(uow, now)
            days = daily_usage(uow, last - timedelta(days=HISTORY_DAYS - 1), last)
        return UsageOverview(today, days)
