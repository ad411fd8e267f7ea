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

from collections.abc import Sequence

from rq.worker import BaseWorker

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


def default_queues(settings: Settings) -> tuple[str, ...]:
    """In priority order: a generation job must start within its start lease, so it goes
    first, then the assistant's replies a reader is waiting for, then mail; the simulated
    generator's runs exist only when it is the generator."""
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
    return worker.work(burst=burst, logging_level=settings.log_level.upper())
