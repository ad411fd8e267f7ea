"""Ports every capability needs: time and identifiers.

Time is injected so rules are testable at any instant (DST edges, lease expiry)
and nothing in the core reads the wall clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self, prefix: str) -> str:
        """A new unique id, sortable by creation time, e.g. ``proj_01J…``."""
        ...
