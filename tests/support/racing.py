"""The widest race two plan checks can run: every racer counts, then all insert.

A unit of work wrapped here makes ``projects.count_active`` wait, once counted, for
every other racer to have counted too (or for the barrier to time out). Under the
organization's row lock only one racer can be there at a time, so the barrier breaks
and they go on one after the other; without the lock all count the same number and
all insert. The barrier may be a thread's or a process's (``multiprocessing.Barrier``).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

RACE_WINDOW = 0.5  # how long a racer waits for the others at its count; once, then broken


class _CountThenWait:
    def __init__(self, inner: Any, everyone: threading.Barrier) -> None:
        self._inner, self._everyone = inner, everyone

    def count_active(self) -> int:
        counted = self._inner.count_active()
        with contextlib.suppress(threading.BrokenBarrierError):
            self._everyone.wait(RACE_WINDOW)
        return int(counted)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RacingUnitOfWork:
    def __init__(self, inner: Any, everyone: threading.Barrier) -> None:
        self._inner = inner
        self.projects = _CountThenWait(inner.projects, everyone)

    def __enter__(self) -> RacingUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
