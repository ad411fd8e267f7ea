"""The composition root: the one place that chooses adapters and builds use cases.

Storage, generator, email, auth and dispatcher are each selected from settings,
so later work adds a branch to a selector and touches nothing else. Nothing is
connected at import time; providers build objects on first use.
"""

from __future__ import annotations

from dataclasses import asdict

from dependency_injector import containers, providers

from manyfutures.adapters.clerk.session_verifier import ClerkSessionVerifier
from manyfutures.adapters.clerk.webhook_verifier import SvixWebhookVerifier
from manyfutures.adapters.clock import SystemClock
from manyfutures.adapters.ids import UlidGenerator
from manyfutures.adapters.memory.dev_identity import DevHeaderVerifier
from manyfutures.adapters.memory.dispatcher import ThreadPoolDispatcher
from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.adapters.memory.idempotency import InMemoryIdempotencyStore
from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.simulated_generator import SimulatedGenerator
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.adapters.postgres.wiring import database_probe, service_engine
from manyfutures.adapters.readiness import configured
from manyfutures.adapters.redis.client import redis_client, redis_probe
from manyfutures.adapters.redis.idempotency import RedisIdempotencyStore
from manyfutures.core.activity.use_cases import ListAuditLog, TrackEvent
from manyfutures.core.feedback.use_cases import (
    AddPlanningNote,
    ArchivePlanningNote,
    ListPlanningNotes,
)
from manyfutures.core.generation.leases import RecoverExpiredLeases
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GetEpisode,
    GetEpisodeStatus,
    ListEpisodes,
    ReportProgress,
    RequestEpisodeNow,
    RetryEpisode,
    StartGeneration,
)
from manyfutures.core.identity.use_cases import (
    ApplyIdentityChange,
    GetMe,
    GetOrganization,
    SyncMembership,
    SyncUser,
    UpdateOrganization,
)
from manyfutures.core.projects.advance import ScheduleDueProjects
from manyfutures.core.projects.use_cases import (
    CreateProject,
    DeleteProject,
    GetProject,
    ListProjects,
    PauseProject,
    ResumeProject,
    UpdateProjectSettings,
)
from manyfutures.core.scheduling.use_cases import ClaimDueItems, RunSchedulerTick
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.settings import Settings


def _shared_state_backend(redis_url: str) -> str:
    """API state shared between processes (idempotency, rate limits) goes to Redis when
    MANYFUTURES_REDIS_URL is set, else stays in this process (memory mode, tests)."""
    return "redis" if redis_url else "memory"


def _rate_limit_storage_uri(redis_url: str) -> str:
    return redis_url or "memory://"


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UlidGenerator)
    retry_policy = providers.Singleton(RetryPolicy)

    memory_store = providers.Singleton(InMemoryStore)
    # Built on first use, once per process; it connects as the app role, never the owner.
    postgres_engine = providers.Singleton(
        service_engine,
        database_url=config.database_url,
        app_database_url=config.app_database_url,
        app_role=config.db_app_role,
        pool_size=config.db_pool_size,
        max_overflow=config.db_max_overflow,
        pool_timeout=config.db_pool_timeout,
        prepare_threshold=config.db_prepare_threshold,
    )
    uow_factory = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryUnitOfWorkFactory, memory_store),
        postgres=providers.Singleton(PostgresUnitOfWorkFactory, postgres_engine),
    )
    scheduler_gateway = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemorySchedulerGateway, memory_store),
        postgres=providers.Singleton(PostgresSchedulerGateway, postgres_engine),
    )
    email_sender = providers.Selector(
        config.email,
        console=providers.Singleton(ConsoleEmailSender),
    )
    identity_verifier = providers.Selector(
        config.auth,
        dev=providers.Singleton(DevHeaderVerifier),
        clerk=providers.Singleton(
            ClerkSessionVerifier,
            issuer=config.clerk_issuer,
            authorized_parties=config.clerk_authorized_parties,
            jwt_key=config.clerk_jwt_key,
            jwks_url=config.clerk_jwks_url,
        ),
    )

    # HTTP API infrastructure.
    shared_state = providers.Callable(_shared_state_backend, config.redis_url)
    redis_connection = providers.Singleton(redis_client, config.redis_url)
    idempotency_store = providers.Selector(
        shared_state,
        memory=providers.Singleton(InMemoryIdempotencyStore, clock),
        redis=providers.Singleton(RedisIdempotencyStore, redis_connection),
    )
    rate_limit_storage_uri = providers.Callable(_rate_limit_storage_uri, config.redis_url)
    webhook_verifier = providers.Singleton(SvixWebhookVerifier, config.clerk_webhook_signing_secret)
    # Readiness (GET /readyz): each storage and Redis contributes a probe when configured;
    # memory storage has nothing to probe.
    database_probe = providers.Selector(
        config.storage,
        memory=providers.Object(None),
        postgres=providers.Singleton(database_probe, postgres_engine),
    )
    redis_readiness_probe = providers.Selector(
        shared_state,
        memory=providers.Object(None),
        redis=providers.Singleton(redis_probe, redis_connection),
    )
    readiness_probes = providers.Callable(configured, database_probe, redis_readiness_probe)

    # Use cases: a new instance per call site; they hold no state of their own.
    create_project = providers.Factory(CreateProject, uow_factory, clock, ids)
    update_project_settings = providers.Factory(UpdateProjectSettings, uow_factory, clock, ids)
    pause_project = providers.Factory(PauseProject, uow_factory, clock, ids)
    resume_project = providers.Factory(ResumeProject, uow_factory, clock, ids)
    delete_project = providers.Factory(DeleteProject, uow_factory, clock, ids)
    list_projects = providers.Factory(ListProjects, uow_factory, clock, ids)
    get_project = providers.Factory(GetProject, uow_factory, clock, ids)
    list_episodes = providers.Factory(ListEpisodes, uow_factory, clock, ids)
    request_episode_now = providers.Factory(RequestEpisodeNow, uow_factory, clock, ids)
    retry_episode = providers.Factory(RetryEpisode, uow_factory, clock, ids)
    add_planning_note = providers.Factory(AddPlanningNote, uow_factory, clock, ids)
    list_planning_notes = providers.Factory(ListPlanningNotes, uow_factory, clock, ids)
    archive_planning_note = providers.Factory(ArchivePlanningNote, uow_factory, clock, ids)
    track_event = providers.Factory(TrackEvent, uow_factory, clock, ids)
    get_me = providers.Factory(GetMe, uow_factory, clock, ids)
    get_organization = providers.Factory(GetOrganization, uow_factory, clock, ids)
    update_organization = providers.Factory(UpdateOrganization, uow_factory, clock, ids)
    list_audit_log = providers.Factory(ListAuditLog, uow_factory, clock, ids)
    get_episode = providers.Factory(GetEpisode, uow_factory, clock, ids)
    get_episode_status = providers.Factory(GetEpisodeStatus, uow_factory, clock, ids)
    sync_user = providers.Factory(SyncUser, uow_factory, clock, ids)
    sync_membership = providers.Factory(SyncMembership, uow_factory, clock, ids)
    apply_identity_change = providers.Factory(ApplyIdentityChange, uow_factory, clock, ids)

    report_progress = providers.Factory(ReportProgress, uow_factory, clock, ids)
    apply_generation_result = providers.Factory(
        ApplyGenerationResult, uow_factory, clock, ids, email_sender, retry_policy
    )
    generator = providers.Selector(
        config.generator,
        simulated=providers.Singleton(
            SimulatedGenerator,
            report_progress,
            apply_generation_result,
            config.simulated_stage_seconds,
        ),
    )
    start_generation = providers.Factory(
        StartGeneration, uow_factory, clock, ids, generator, apply_generation_result
    )
    dispatcher = providers.Selector(
        config.dispatcher,
        threads=providers.Singleton(ThreadPoolDispatcher, start_generation, config.worker_threads),
    )

    schedule_due_projects = providers.Factory(
        ScheduleDueProjects, uow_factory, clock, ids, scheduler_gateway
    )
    recover_expired_leases = providers.Factory(
        RecoverExpiredLeases, uow_factory, clock, ids, scheduler_gateway, retry_policy
    )
    claim_due_items = providers.Factory(ClaimDueItems, clock, scheduler_gateway, retry_policy)
    scheduler_tick = providers.Factory(
        RunSchedulerTick, schedule_due_projects, recover_expired_leases, claim_due_items, dispatcher
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    container.config.from_dict(asdict(settings))
    return container
