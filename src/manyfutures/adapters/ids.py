"""Prefixed, time-sortable ids (ULID layout: 48-bit milliseconds + 80 random bits).

Sorting ids sorts rows by creation time, which gives cursor pagination and
"newest first" for free, in Postgres and in memory alike.
"""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(_CROCKFORD[index])
    return "".join(reversed(chars))


class UlidGenerator:
    """Monotonic within a millisecond, so ids made in a burst still sort in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new_id(self, prefix: str) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms = self._last_ms
                self._last_random += 1
            else:
                self._last_ms = now_ms
                self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
            random_part = self._last_random % (1 << _RANDOM_BITS)
        return f"{prefix}_{_encode(now_ms, 10)}{_encode(random_part, 16)}"
