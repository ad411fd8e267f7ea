"""Per-user rate limits without a shared-counter round trip per request.

Each limit ("600 per minute") counts requests in fixed windows aligned to the clock
(window ``n`` covers ``[n·W, (n+1)·W)``), in a counter every process shares (Redis in
production). A process does not add 1 per request: it claims a *batch* of the
window's allowance for a user (one round trip: add ``batch``, read the total) and
spends it locally, one request at a time, before claiming again. When the total
passes the limit, the claim keeps only the part still under it, and once nothing is
left the process refuses that user until the window ends, with no further round
trips.

What this costs in accuracy, across ``P`` processes serving the same user:

- never more than the limit is served in a window: every request spends allowance
  already counted in the shared total;
- at most ``(P - 1) * (batch - 1)`` fewer may be: allowance other processes claimed
  and have not spent when this one is refused. ``batch`` is a fiftieth of the limit,
  at most ``MAX_BATCH`` and at least 1 (so small limits are exact): with 600 per
  minute and the default 2 workers, a user gets at least 589.

Fixed windows let a user spend one window's allowance at its end and the next one's
at the start of the next: up to twice the limit across a window boundary, as the
previous (flask-limiter) fixed-window strategy did.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse_many

from manyfutures.core.shared.ports import Clock

MAX_BATCH = 20
BATCH_DIVISOR = 50
KEY_PREFIX = "manyfutures:rate:"


class WindowCounter(Protocol):
    """A counter shared by every process: adds ``amount`` and returns the new total.
    A new key starts at 0; it may be forgotten ``ttl_seconds`` after this call (the
    rest of its window, counted on the limiter's clock)."""

    def add(self, key: str, amount: int, ttl_seconds: int) -> int: ...


def batch_size(limit: int) -> int:
    return max(1, min(MAX_BATCH, limit // BATCH_DIVISOR))


def granted(limit: int, batch: int, total: int) -> int:
    """Of a batch whose claim brought the shared total to ``total``, what may be spent."""
    return max(0, min(batch, limit - (total - batch)))


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str
    retry_after_seconds: int


class WindowAllowance:
    """One limit, for every key (user) this process serves."""

    def __init__(self, counter: WindowCounter, clock: Clock, item: RateLimitItem) -> None:
        self._counter = counter
        self._clock = clock
        self._limit = item.amount
        self._seconds = item.get_expiry()
        self._batch = batch_size(item.amount)
        self._name = f"{item.amount}/{self._seconds}"
        self._description = str(item)
        self._lock = threading.Lock()
        self._window = -1
        self._left: dict[str, int] = {}  # unspent allowance this window, per key
        self._spent: set[str] = set()  # keys with nothing left to claim this window

    def hit(self, key: str) -> Refusal | None:
        now = self._clock.now().timestamp()
        window = math.floor(now / self._seconds)
        with self._lock:
            if window != self._window:  # the old window's allowances are worthless now
                self._window, self._left, self._spent = window, {}, set()
            left = self._left.get(key, 0)
            if left > 0:
                self._left[key] = left - 1
                return None
            if key in self._spent:
                return self._refusal(window, now)
        total = self._counter.add(
            f"{KEY_PREFIX}{self._name}:{window}:{key}", self._batch, self._rest(window, now)
        )
        usable = granted(self._limit, self._batch, total)
        with self._lock:
            if window != self._window:  # the window ended while claiming: spend one, keep none
                return None if usable else self._refusal(window, now)
            if usable == 0:
                self._spent.add(key)
                return self._refusal(window, now)
            self._left[key] = self._left.get(key, 0) + usable - 1
            return None

    def _rest(self, window: int, now: float) -> int:
        """Whole seconds until the window ends, at least 1."""
        return max(1, math.ceil((window + 1) * self._seconds - now))

    def _refusal(self, window: int, now: float) -> Refusal:
        return Refusal(self._description, self._rest(window, now))


class RateLimiter:
    """Every configured limit (``600 per minute; 10000 per day``) must allow a request."""

    def __init__(self, counter: WindowCounter, clock: Clock, limits: str) -> None:
        self._allowances = [WindowAllowance(counter, clock, item) for item in parse_many(limits)]

    def hit(self, key: str) -> Refusal | None:
        for allowance in self._allowances:
            refusal = allowance.hit(key)
            if refusal is not None:
                return refusal
        return None
