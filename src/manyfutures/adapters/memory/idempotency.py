"""Idempotency records in process memory: memory mode and tests (one process only)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyfutures.adapters.idempotency import (
    PENDING_SECONDS,
    REPLAY_WINDOW_SECONDS,
    Claim,
    ClaimOutcome,
    StoredResponse,
)
from manyfutures.core.shared.ports import Clock


@dataclass(slots=True)
class _Record:
    fingerprint: str
    response: StoredResponse | None
    expires_at: datetime


class InMemoryIdempotencyStore:
    """Expiry follows the injected clock, so tests can step past the 24 h window."""

    def __init__(
        self,
        clock: Clock,
        window_seconds: int = REPLAY_WINDOW_SECONDS,
        pending_seconds: int = PENDING_SECONDS,
    ) -> None:
        self._clock = clock
        self._window = timedelta(seconds=window_seconds)
        self._pending = timedelta(seconds=pending_seconds)
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, fingerprint: str) -> Claim:
        now = self._clock.now()
        with self._lock:
            self._evict(now)
            record = self._records.get(key)
            if record is None:
                self._records[key] = _Record(fingerprint, None, now + self._pending)
                return Claim(ClaimOutcome.CLAIMED)
            if record.fingerprint != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if record.response is None:
                return Claim(ClaimOutcome.IN_PROGRESS)
            return Claim(ClaimOutcome.REPLAY, record.response)

    def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        with self._lock:
            self._records[key] = _Record(fingerprint, response, self._clock.now() + self._window)

    def release(self, key: str, fingerprint: str) -> None:
        with self._lock:
            record = self._records.get(key)
            if record is not None and record.response is None and record.fingerprint == fingerprint:
                del self._records[key]

    def _evict(self, now: datetime) -> None:
        expired = [key for key, record in self._records.items() if record.expires_at <= now]
        for key in expired:
            del self._records[key]
