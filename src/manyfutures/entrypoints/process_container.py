"""One container per process for code RQ runs: built on first use, never shared across fork.

A container holds a pooled SQLAlchemy engine, the scheduler gateway's connection and a
Redis client, and none of them may cross a ``fork()``: two processes writing to one
socket interleave their protocol messages, and a child that closes an inherited
connection ends its parent's session. So the container is keyed by the process id.
A process that finds a container built by another process (its parent, before a fork)
builds its own and keeps the inherited one referenced, untouched, so that garbage
collection never closes the parent's sockets from the child. Nothing is built at import,
and the worker's main process never builds one before RQ starts (ADR 0012).

Settings come from the environment, which forked and spawned work horses inherit.
"""

from __future__ import annotations

import os
import threading

from manyfutures.container import Container, build_container
from manyfutures.settings import Settings

_lock = threading.Lock()
_built: tuple[int, Container] | None = None
_inherited: list[Container] = []


def process_container() -> Container:
    global _built
    with _lock:
        pid = os.getpid()
        if _built is not None and _built[0] == pid:
            return _built[1]
        if _built is not None:
            _inherited.append(_built[1])
        container = build_container(Settings.from_env(os.environ))
        _built = (pid, container)
        return container


def _fresh_lock_after_fork() -> None:
    """The parent may have held the lock while forking; the child starts with a free one."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)
