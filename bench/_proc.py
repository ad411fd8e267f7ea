"""CPU seconds of a process tree, from /proc: the figure benches decide changes on.

CPU per request (or per episode) depends far less on how busy the rest of a shared
machine is than requests per second do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it (a server's workers), from each thread's
    ``children`` file."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU of each process still alive, from /proc/<pid>/stat."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICK
    return seconds
