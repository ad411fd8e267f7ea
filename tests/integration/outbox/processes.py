"""Dispatchers run in child processes by the outbox's process tests.

Each child builds its own container from ``MANYFUTURES_*`` variables, exactly as
``manyfutures run`` does (own engine, own SMTP sender, the system clock), and never
touches the parent's pool (see tests/integration/postgres/workers.py).
"""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from manyfutures.container import build_container
from manyfutures.settings import Settings


def dispatch_once(environ: dict[str, str]) -> None:
    """One batch; the test kills the process while the server holds the DATA reply."""
    build_container(Settings.from_env(environ)).outbox.dispatch_outbox()()


def dispatch_until_empty(environ: dict[str, str], start: Barrier, sent: Queue[int]) -> None:
    """Batches until a claim finds nothing; reports how many this process delivered."""
    dispatch = build_container(Settings.from_env(environ)).outbox.dispatch_outbox()
    delivered = 0
    start.wait()
    while (report := dispatch()).claimed:
        delivered += report.sent
    sent.put(delivered)
