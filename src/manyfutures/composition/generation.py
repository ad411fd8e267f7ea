"""Generation's use cases and the generator they drive.

The generator sits here, not with the shared adapters, because the simulated one calls
back into this capability's own use cases (progress, result), as n8n's callbacks do
through the HTTP API (``receive_generation_callback``).
"""

from __future__ import annotations

from decimal import Decimal

from dependency_injector import containers, providers

from manyfutures.adapters.memory.simulated_generator import SimulatedGenerator, SimulatedRun
from manyfutures.adapters.n8n.generator import N8nGenerator
from manyfutures.adapters.n8n.payload import callback_url
from manyfutures.adapters.rq.simulation import QueuedSimulation
from manyfutures.composition.use_case import use_case
from manyfutures.core.costs.prices import PriceTable
from manyfutures.core.generation.callbacks import ReceiveGenerationCallback
from manyfutures.core.generation.daily_budget import GetUsageToday, ResumeBlockedSlots
from manyfutures.core.generation.day_end import SkipLapsedBlockedSlots
from manyfutures.core.generation.leases import RecoverExpiredLeases
from manyfutures.core.generation.reading import ListProjectEpisodes, ReadEpisode
from manyfutures.core.generation.retry_failed import RetryFailedEpisodes
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GetEpisode,
    GetEpisodeStatus,
    ReportProgress,
    RequestEpisodeNow,
    RetryEpisode,
    StartGeneration,
)

# The RQ job that walks one simulated run (entrypoints/jobs.py; a path, since the worker
# imports it and this side must not).
SIMULATE_JOB = "manyfutures.entrypoints.jobs.simulate_generation"


class GenerationContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    get_episode = use_case(GetEpisode, adapters)
    get_episode_status = use_case(GetEpisodeStatus, adapters)
    # The console's pages: each reads what it shows in one unit of work (reading.py).
    list_project_episodes = use_case(ListProjectEpisodes, adapters)
    read_episode = use_case(ReadEpisode, adapters)
    request_episode_now = use_case(RequestEpisodeNow, adapters)
    retry_episode = use_case(RetryEpisode, adapters)
    retry_failed_episodes = use_case(RetryFailedEpisodes, adapters)
    get_usage_today = use_case(GetUsageToday, adapters)
    resume_blocked_slots = use_case(ResumeBlockedSlots, adapters)
    report_progress = use_case(ReportProgress, adapters)
    apply_generation_result = use_case(
        ApplyGenerationResult,
        adapters,
        adapters.retry_policy,
        adapters.email_templates,
        adapters.telemetry,
    )
    simulation = providers.Singleton(
        SimulatedRun, report_progress, apply_generation_result, config.simulated_stage_seconds
    )
    generator = providers.Selector(
        config.generator,
        # The simulation runs where the jobs run: in memory mode, reported on
        # `manyfutures run`'s simulation beat (entrypoints/all_in_one.py); with RQ, as jobs
        # of its own beside the generation jobs (adapters/rq/simulation.py).
        simulated=providers.Selector(
            config.dispatcher,
            threads=providers.Singleton(
                SimulatedGenerator,
                report_progress,
                apply_generation_result,
                adapters.clock,
                config.simulated_stage_seconds,
            ),
            rq=providers.Singleton(
                QueuedSimulation,
                adapters.redis_connection,
                SIMULATE_JOB,
                adapters.leases.provided.deadline,
            ),
        ),
        n8n=providers.Singleton(
            N8nGenerator,
            webhook_url=config.n8n_webhook_url,
            header_name=config.n8n_webhook_header_name,
            header_value=config.n8n_webhook_header_value,
            callback_url=providers.Callable(callback_url, config.public_url),
            connect_timeout=config.n8n_connect_timeout_seconds,
            read_timeout=config.n8n_read_timeout_seconds,
        ),
    )
    max_episode_cost_gbp = providers.Callable(Decimal, config.max_episode_cost_gbp)
    start_generation = use_case(
        StartGeneration,
        adapters,
        generator,
        apply_generation_result,
        adapters.callback_tokens,
        max_episode_cost_gbp,
        adapters.leases,
        adapters.email_templates,
        adapters.telemetry,
    )
    # Usage reported without a cost is priced from this table (core/costs/prices.py).
    price_table = providers.Singleton(PriceTable.from_json, config.model_prices_gbp)
    receive_generation_callback = providers.Singleton(
        ReceiveGenerationCallback,
        adapters.run_locator,
        report_progress,
        apply_generation_result,
        price_table,
    )
    recover_expired_leases = use_case(
        RecoverExpiredLeases,
        adapters,
        adapters.scheduler_gateway,
        adapters.retry_policy,
        adapters.leases,
        adapters.email_templates,
        adapters.telemetry,
    )
    skip_lapsed_blocked_slots = use_case(
        SkipLapsedBlockedSlots, adapters, adapters.scheduler_gateway
    )
