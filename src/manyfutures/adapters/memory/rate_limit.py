"""Rate-limit counters in process memory: memory mode and tests (one process only)."""

from __future__ import annotations

import threading

from manyfutures.core.shared.ports import Clock


class InMemoryWindowCounter:
    """Expiry follows the injected clock; expired windows are dropped as new ones start."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._totals: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: int, ttl_seconds: int) -> int:
        now = self._clock.now().timestamp()
        expires_at = now + ttl_seconds
        with self._lock:
            total, expiry = self._totals.get(key, (0, expires_at))
            if expiry <= now:
                total = 0
            if key not in self._totals:
                self._drop_expired(now)
            self._totals[key] = (total + amount, expires_at)
            return total + amount

    def _drop_expired(self, now: float) -> None:
        for key in [key for key, (_, expiry) in self._totals.items() if expiry <= now]:
            del self._totals[key]
