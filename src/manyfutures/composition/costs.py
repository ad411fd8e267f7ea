"""Costs' use cases: the organization's spend, day by day."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.costs.usage_history import ListDailyUsage


class CostsContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    list_daily_usage = use_case(ListDailyUsage, adapters)
