"""Project changes sent without an expected version: the last write wins, never a 412.

A change reads the project, applies itself and writes the project back only if no
one changed it meanwhile (its version: the optimistic lock). A caller that named
the version it saw (``If-Match``) gets losing that race as its answer. One that
did not was promised that its change applies, so a lost race means applying it
again to the project as it now is: this time read with ``get_for_update``, which
no other writer can pass until this one commits, so it cannot lose twice. Two
attempts, never more; the common case (no race) takes no lock at all. A plain
retry would not do: with twenty writers at once each round has a single winner,
so any fixed number of optimistic retries can be lost every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from manyfutures.core.shared.errors import VersionConflictError

T = TypeVar("T")


def last_write_wins(change: Callable[[bool], T], expected_version: int | None) -> T:
    """``change(False)``; if it lost a race and no version was expected,
    ``change(True)``: the same change with the project read under a lock."""
    try:
        return change(False)
    except VersionConflictError:
        if expected_version is not None:
            raise
    return change(True)
