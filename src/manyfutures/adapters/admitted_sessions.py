"""The sessions this process admitted recently, so admission costs nothing per request.

Admitting a session reads its user, organization and membership in a transaction of
their own (``core/identity/admission.py``). On every request that would add a
transaction to a path whose budget is a fraction of a millisecond, for rows that
almost never change. So each process remembers which (user, organization) pairs it
admitted, for ``RECHECK_SECONDS``: a remembered session is a dictionary look-up.

A deletion applied by a webhook in this process forgets every session at once;
another process notices within ``RECHECK_SECONDS`` (a session token itself
outlives a deletion by up to a minute). At most ``CAPACITY`` sessions are kept;
past that the least recently used are re-checked on their next request.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.ports import Clock

RECHECK_SECONDS = 30.0
CAPACITY = 100_000


class AdmittedSessions:
    def __init__(
        self, clock: Clock, seconds: float = RECHECK_SECONDS, capacity: int = CAPACITY
    ) -> None:
        self._sessions: TTLCache[tuple[str, str], bool] = TTLCache(
            maxsize=capacity, ttl=seconds, timer=lambda: clock.now().timestamp()
        )
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def __contains__(self, actor: Actor) -> bool:
        with self._lock:
            return (actor.user_id, actor.organization_id) in self._sessions

    def add(self, actor: Actor) -> None:
        with self._lock:
            self._sessions[(actor.user_id, actor.organization_id)] = True

    def forget_all(self) -> None:
        with self._lock:
            self._sessions.clear()
