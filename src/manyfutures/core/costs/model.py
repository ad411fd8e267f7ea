"""Token usage: raw rows per AI call, and the per-day aggregate the limit reads.

Money is ``Decimal`` in GBP everywhere; a float would drift by pennies at scale.
The day is the UTC date.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class Operation(enum.StrEnum):
    EPISODE_GENERATION = "episode_generation"
    PROJECT_ONBOARDING = "project_onboarding"
    CHAT = "chat"


@dataclass(slots=True, kw_only=True)
class TokenUsage:
    id: str
    organization_id: str
    project_id: str | None
    episode_id: str | None
    operation: Operation
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_gbp: Decimal
    created_at: datetime
    # The generation run that reported it; its usage is recorded once (``add_for_run``).
    run_id: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class OperationTotals:
    tokens: int = 0
    cost_gbp: Decimal = Decimal("0")


@dataclass(slots=True, kw_only=True)
class TokenUsageDaily:
    """One organization's spend on one UTC date, maintained as usage arrives."""

    organization_id: str
    date: date
    total_tokens: int = 0
    total_cost_gbp: Decimal = Decimal("0")
    episode_count: int = 0
    operation_breakdown: dict[Operation, OperationTotals] = field(default_factory=dict)
    hourly_tokens: dict[int, int] = field(default_factory=dict)
    last_updated: datetime

    @property
    def hourly_peak(self) -> int:
        return max(self.hourly_tokens.values(), default=0)

    @property
    def peak_hour(self) -> int | None:
        if not self.hourly_tokens:
            return None
        return max(sorted(self.hourly_tokens), key=lambda hour: self.hourly_tokens[hour])

    def add(self, usage: TokenUsage, first_for_episode: bool) -> None:
        """Fold one raw row in; mirrors the PostgreSQL trigger so both stores agree."""
        self.total_tokens += usage.total_tokens
        self.total_cost_gbp += usage.cost_gbp
        if first_for_episode:
            self.episode_count += 1
        before = self.operation_breakdown.get(usage.operation, OperationTotals())
        self.operation_breakdown[usage.operation] = OperationTotals(
            before.tokens + usage.total_tokens, before.cost_gbp + usage.cost_gbp
        )
        hour = usage.created_at.hour
        self.hourly_tokens[hour] = self.hourly_tokens.get(hour, 0) + usage.total_tokens
        self.last_updated = usage.created_at
