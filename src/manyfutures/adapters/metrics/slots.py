"""A recording process's name in ``PROMETHEUS_MULTIPROC_DIR``: a slot it holds, not its pid.

prometheus-client names a process's files by its process id, and a dead process's files
must stay (its counters must not go down), so every restart (a worker killed and started
again, a redeployed API) would add files and the directory would grow with restarts.
Instead a recording process takes the lowest free slot: an exclusive ``flock`` on
``slot-N.lock`` in the directory, which the kernel releases when the process dies,
however it dies (SIGKILL included). The next process to start takes the slot over with
its files: prometheus-client reads a file's values when it opens it, so the newcomer
counts on from what the dead process left, counters keep going up, and the directory
holds the files of at most as many processes as ever ran at once (ADR 0021).

Two live processes never share a slot (the lock), as prometheus-client requires of a
process identifier. A process forked from the holder inherits the lock (so the slot
stays taken while either lives) but not the name: it is named by its own pid, and it
records nothing anyway (adapters/metrics/prometheus.py).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable

# Open for the process's life: closing a descriptor would release its lock.
_held: list[int] = []


def claim_slot(directory: str) -> Callable[[], str]:
    """Take the lowest free slot in ``directory``; returns prometheus-client's
    ``process_identifier``: the slot's name in this process, the pid in any other."""
    owner, name = os.getpid(), f"slot{_lock_lowest_free(directory)}"

    def identifier() -> str:
        return name if os.getpid() == owner else str(os.getpid())

    return identifier


def _lock_lowest_free(directory: str) -> int:
    number = 0
    while True:
        path = os.path.join(directory, f"slot-{number}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            number += 1
            continue
        _held.append(descriptor)
        return number
