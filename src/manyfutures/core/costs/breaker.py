"""The daily cost circuit breaker.

A new AI operation is allowed only if what is already spent, plus what running
operations have reserved, plus this operation's estimate stays within the limit:
checking spend alone would let concurrent operations overshoot it together.

Once open, the breaker stays open for the rest of the UTC day (``latched_open``;
budget.py decides when it latches), even if releases bring the committed amount
back under the limit: a day that reached its limit, refused an operation or
overran spends nothing more unless an admin raises the limit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from manyfutures.core.shared.errors import ValidationError

WARNING_RATIO = Decimal("0.8")


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    WARNING = "warning"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class DailyBudget:
    limit_gbp: Decimal
    spent_gbp: Decimal = Decimal("0")
    reserved_gbp: Decimal = Decimal("0")
    latched_open: bool = False

    def __post_init__(self) -> None:
        for name in ("limit_gbp", "spent_gbp", "reserved_gbp"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValidationError.for_field(name, f"{name} must be a non-negative Decimal")

    @property
    def committed_gbp(self) -> Decimal:
        return self.spent_gbp + self.reserved_gbp

    @property
    def state(self) -> BreakerState:
        if self.latched_open or self.committed_gbp >= self.limit_gbp:
            return BreakerState.OPEN
        if self.committed_gbp >= self.limit_gbp * WARNING_RATIO:
            return BreakerState.WARNING
        return BreakerState.CLOSED

    def allows(self, estimate_gbp: Decimal) -> bool:
        # Same checks as the stored amounts: comparing a NaN raises decimal.InvalidOperation
        # (not a domain error), and an infinite estimate is a bug, not a refusal.
        if (
            not isinstance(estimate_gbp, Decimal)
            or not estimate_gbp.is_finite()
            or estimate_gbp < 0
        ):
            raise ValidationError.for_field(
                "estimate_gbp", "an estimate must be a non-negative Decimal"
            )
        return not self.latched_open and self.committed_gbp + estimate_gbp <= self.limit_gbp
