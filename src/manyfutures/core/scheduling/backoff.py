"""Retry timing for failed generations.

The Postgres queue owns retries (not RQ): one place decides when an attempt may
run again, so attempts can never multiply across layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.shared.errors import ValidationError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(seconds=300)
    max_attempts: int = 3

    def delay(self, attempt: int) -> timedelta:
        """``min(base * 2^attempt, cap)`` for the attempt number that just failed."""
        if attempt < 0:
            raise ValidationError.for_field("attempt", "attempt must not be negative")
        # Past 2**64 seconds every base exceeds any cap; skip the huge integer.
        if attempt >= 64:
            return self.cap
        return min(self.base * (1 << attempt), self.cap)

    def can_retry(self, attempts_made: int) -> bool:
        return attempts_made < self.max_attempts
