"""The cost ledger's storage port."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.shared.unit_of_work import UnitOfWork


class TokenUsageRepository(Protocol):
    def add(self, usage: TokenUsage) -> None:
        """Record a raw row; the daily aggregate follows in the same transaction."""
        ...

    def daily(self, day: date) -> TokenUsageDaily | None: ...


class UsageStore(UnitOfWork, Protocol):
    """An organization's token usage and its daily aggregate."""

    @property
    def token_usage(self) -> TokenUsageRepository: ...
