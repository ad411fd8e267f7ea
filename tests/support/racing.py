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

from tests.support.wrapped import Wrapped, WrappedUnitOfWork

RACE_WINDOW = 0.5  # how long a racer waits for the others at its count; once, then broken


class _CountThenWait(Wrapped):
    def __init__(self, inner: Any, everyone: threading.Barrier) -> None:
        super().__init__(inner)
        self._everyone = everyone

    def count_active(self) -> int:
        counted = self._inner.count_active()
        with contextlib.suppress(threading.BrokenBarrierError):
            self._everyone.wait(RACE_WINDOW)
        return int(counted)


class RacingUnitOfWork(WrappedUnitOfWork):
    def __init__(self, inner: Any, everyone: threading.Barrier) -> None:
        super().__init__(inner)
        self.projects = _CountThenWait(inner.projects, everyone)
