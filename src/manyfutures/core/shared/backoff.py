"""Retry timing for whatever is retried with backoff: generations, outbox messages.

The Postgres tables own retries (not RQ): one place decides when an attempt may
run again, so attempts can never multiply across layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.shared.errors import ValidationError

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(seconds=300)
    max_attempts: int = 3

    def delay(self, attempt: int) -> timedelta:
        """``min(base * 2^attempt, cap)`` for the attempt number that just failed."""
        if attempt < 0:
            raise ValidationError.for_field("attempt", "attempt must not be negative")
        # Compare in integer microseconds: Python ints do not overflow, timedelta does
        # (one second * 2**47 is already past its range). Every timedelta is below 2**67
        # microseconds, so from 2**128 on any non-zero base exceeds any cap; clamping the
        # shift there keeps the integer small for absurd attempt numbers.
        scaled = (self.base // _MICROSECOND) << min(attempt, 128)
        if scaled >= self.cap // _MICROSECOND:
            return self.cap
        return timedelta(microseconds=scaled)

    def can_retry(self, attempts_made: int) -> bool:
        return attempts_made < self.max_attempts
