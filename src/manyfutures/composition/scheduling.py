"""The scheduler tick and the job dispatcher.

Scheduling sits below projects and generation in the core, so, as ``RunSchedulerTick``
receives their work as callables, this container receives their providers as
``Dependency`` slots, filled in by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable

from dependency_injector import containers, providers

from manyfutures.adapters.memory.dispatcher import ThreadPoolDispatcher
from manyfutures.adapters.metrics.metered import MeteredClaimDueItems, MeteredSchedulerTick
from manyfutures.adapters.rq.dispatcher import RqDispatcher
from manyfutures.core.generation.use_cases import StartGeneration

# The RQ job each claimed item becomes (entrypoints/jobs.py; a path, since the worker
# imports it and this side must not).
START_GENERATION_JOB = "manyfutures.entrypoints.jobs.start_generation"


class SchedulingContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()
    # Each returns how many projects it advanced or runs it failed.
    schedule_due_projects: providers.Dependency[Callable[[], int]] = providers.Dependency()
    recover_expired_leases: providers.Dependency[Callable[[], int]] = providers.Dependency()
    skip_lapsed_blocked_slots: providers.Dependency[Callable[[], int]] = providers.Dependency()
    # The job the dispatcher runs for each claimed item.
    start_generation: providers.Dependency[StartGeneration] = providers.Dependency()

    # Metered: each claim's duration and each tick's claims (adapters/metrics/metered.py).
    claim_due_items = providers.Factory(
        MeteredClaimDueItems,
        adapters.clock,
        adapters.scheduler_gateway,
        adapters.retry_policy,
        adapters.leases,
    )
    dispatcher = providers.Selector(
        config.dispatcher,
        threads=providers.Singleton(ThreadPoolDispatcher, start_generation, config.worker_threads),
        rq=providers.Singleton(
            RqDispatcher,
            adapters.redis_connection,
            START_GENERATION_JOB,
            adapters.leases.provided.start,
        ),
    )
    scheduler_tick = providers.Factory(
        MeteredSchedulerTick,
        schedule_due_projects,
        recover_expired_leases,
        skip_lapsed_blocked_slots,
        claim_due_items,
        dispatcher,
        config.scheduler_batch_size,
        config.scheduler_max_waiting_jobs,
    )
