"""``manyfutures worker``: an RQ worker on MANYFUTURES_REDIS_URL, like any other RQ worker.

It registers in Redis as RQ workers do, so ``rq info`` and rq-dashboard list it with
its queues, current job and heartbeat. The class is RQ's ``SimpleWorker`` (as
``LeanSimpleWorker``, which sends the same bookkeeping in fewer round trips,
adapters/rq/lean_worker.py): it runs each job in its own process instead of forking a
work horse per job, which the bench measured several times faster
(bench/rq_worker_class.py, ADR 0012); RQ's SIGALRM death penalty still stops a job at
its timeout, in the worker's main thread. Jobs reach the domain
through ``process_container()``, which no fork can share.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Sequence
from contextlib import suppress
from types import FrameType

from rq.worker import BaseWorker, DequeueStrategy

from manyfutures.adapters.metrics.prometheus import enable_metrics
from manyfutures.adapters.rq.lean_worker import LeanSimpleWorker
from manyfutures.adapters.rq.queues import (
    ASSISTANT,
    GENERATION,
    OUTBOX,
    SIMULATION,
    rq_connection,
)
from manyfutures.settings import Settings

WORKER_CLASS: type[BaseWorker] = LeanSimpleWorker
# A worker that dies this soon after its fork is failing at start (Redis unreachable, bad
# settings): its replacement waits a second, so a broken start is no fork loop.
EARLY_EXIT_SECONDS = 5.0
logger = logging.getLogger(__name__)


def default_queues(settings: Settings) -> tuple[str, ...]:
    """Generation first (a job must start within its start lease), then the assistant's
    replies a reader is waiting for, then mail; the simulated generator's runs exist only
    when it is the generator. Taken round robin (``run_worker``), not strictly in this
    order: under a generation backlog strict priority never reached mail."""
    queues = (GENERATION, ASSISTANT, OUTBOX)
    return (*queues, SIMULATION) if settings.generator == "simulated" else queues


def run_worker(
    settings: Settings,
    queues: Sequence[str] = (),
    *,
    burst: bool = False,
    worker_class: type[BaseWorker] = WORKER_CLASS,
) -> bool:
    """Work until stopped (SIGTERM: after the current job), or, with ``burst``, until the
    queues are empty. Returns whether any job was run.

    The job functions and the application behind them are imported before the first job
    is taken, not by it: importing takes seconds on a busy machine, which a job would
    otherwise spend out of its start lease. Importing connects to nothing.
    """
    import manyfutures.entrypoints.jobs  # noqa: F401

    # This process runs every job (SimpleWorker): its files are the only ones it adds. A
    # forking class's work horses have other process ids and record nothing (ADR 0021).
    enable_metrics()
    connection = rq_connection(settings.redis_url)
    worker = worker_class(list(queues or default_queues(settings)), connection=connection)
    # Round robin: after a job from one queue the next is looked for in the queues after
    # it, so every queue with work gets its turn. With strict priority a generation
    # backlog (the scheduler keeps up to MANYFUTURES_SCHEDULER_MAX_WAITING_JOBS waiting)
    # left delivery jobs waiting until they expired (their time-to-live is the outbox
    # lease), and mail went out only once every due generation had started.
    return worker.work(
        burst=burst,
        logging_level=settings.log_level.upper(),
        dequeue_strategy=DequeueStrategy.ROUND_ROBIN,
    )


def run_workers(settings: Settings, processes: int, queues: Sequence[str] = ()) -> None:
    """``processes`` workers forked from this process once it has imported the job
    functions and the application, each replaced by a new fork when it dies, until
    SIGTERM or SIGINT (passed on to every worker: each finishes its job and stops).

    A replacement is a fork of an interpreter that has already imported everything, so a
    worker killed mid-job (out of memory, an operator, the chaos run's SIGKILLs) is back
    on its queues at once, where a new ``manyfutures worker`` process imports for seconds
    (tens of seconds on a loaded machine) before it takes a job. Nothing here has
    connected to anything before the forks: each worker opens its own connections and
    metrics slot (``run_worker``).
    """
    import manyfutures.entrypoints.jobs  # noqa: F401

    started: dict[int, float] = {}
    stopping = False

    def fork() -> None:
        pid = os.fork()
        if pid == 0:  # the worker: default signal handling until RQ installs its own
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 1
            try:
                run_worker(settings, queues)
                code = 0
            finally:
                os._exit(code)
        started[pid] = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        fork()
    while started:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        lived = time.monotonic() - started.pop(pid, time.monotonic())
        if stopping:
            continue
        logger.warning(
            "worker %s ended (%s) after %.1f s; forking its replacement",
            pid,
            _how_it_ended(status),
            lived,
        )
        if lived < EARLY_EXIT_SECONDS:
            time.sleep(1)
        fork()


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
