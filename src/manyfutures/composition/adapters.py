"""The outside world every capability shares: time, ids, storage, email (templates, sender).

Storage is one selector (``memory`` or ``postgres``) for the tenant-scoped unit of work
and the cross-tenant paths (the scheduler's and the outbox's gateways, the callbacks' run
locator), so they never disagree. Nothing is connected when the container is built; the
engine and the Redis client are built on first use, once per process.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.adapters.clock import SystemClock
from manyfutures.adapters.email.smtp import SmtpEmailSender
from manyfutures.adapters.email.smtp_url import parse_smtp_url
from manyfutures.adapters.email.templates import JinjaEmailTemplates, unsubscribe_base_url
from manyfutures.adapters.ids import UlidGenerator
from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.adapters.memory.metrics_gauges import InMemoryGaugeReader
from manyfutures.adapters.memory.operations import InMemoryOperatorGateway
from manyfutures.adapters.memory.outbox import InMemoryOutboxGateway
from manyfutures.adapters.memory.run_locator import InMemoryRunLocator
from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.adapters.metrics.gauges import RecordGauges
from manyfutures.adapters.metrics.prometheus import PrometheusTelemetry
from manyfutures.adapters.postgres.metrics_gauges import PostgresGaugeReader
from manyfutures.adapters.postgres.operator_gateway import PostgresOperatorGateway
from manyfutures.adapters.postgres.outbox import PostgresOutboxGateway
from manyfutures.adapters.postgres.run_locator import PostgresRunLocator
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.adapters.postgres.wiring import service_engine
from manyfutures.adapters.redis.client import redis_client
from manyfutures.adapters.remembered_run_locator import RememberedRunLocator
from manyfutures.adapters.tokens import RandomCallbackTokens
from manyfutures.core.identity.plans import Plan
from manyfutures.core.scheduling.leases import Leases
from manyfutures.core.shared.backoff import RetryPolicy


class AdaptersContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UlidGenerator)
    callback_tokens = providers.Singleton(RandomCallbackTokens)
    # Counts only in a process that called enable_metrics() (adapters/metrics/prometheus.py).
    telemetry = providers.Singleton(PrometheusTelemetry)
    # The one backoff rule generation retries and the scheduler's claims share.
    retry_policy = providers.Singleton(RetryPolicy)
    # An attempt's two clocks: the claim's start lease and the run's generation deadline.
    leases = providers.Singleton(
        Leases.from_seconds, config.start_lease_seconds, config.generation_deadline_seconds
    )
    # The operator's plan for organizations without overrides: identity reads and sets
    # plans, projects hold active projects to them.
    plan_defaults = providers.Singleton(
        Plan.defaults, config.default_max_active_projects, config.default_daily_limit_ceiling_gbp
    )

    memory_store = providers.Singleton(InMemoryStore)
    # It connects as the app role, never the owner.
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
    outbox_gateway = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryOutboxGateway, memory_store),
        postgres=providers.Singleton(PostgresOutboxGateway, postgres_engine),
    )
    # The callback path's one cross-tenant read (a callback names a run, not a tenant);
    # found runs are remembered per process (adapters/remembered_run_locator.py).
    run_locator = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryRunLocator, memory_store),
        postgres=providers.Singleton(
            RememberedRunLocator, providers.Singleton(PostgresRunLocator, postgres_engine)
        ),
    )
    # The scheduler's metrics beat: counts across organizations (adapters/metrics/gauges.py).
    gauge_reader = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryGaugeReader, memory_store),
        postgres=providers.Singleton(PostgresGaugeReader, postgres_engine),
    )
    record_gauges = providers.Singleton(RecordGauges, clock, gauge_reader)
    # The console's operator page: the operations view of every organization (ADR 0025).
    operator_gateway = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryOperatorGateway, memory_store),
        postgres=providers.Singleton(PostgresOperatorGateway, postgres_engine),
    )

    email_sender = providers.Selector(
        config.email,
        console=providers.Singleton(ConsoleEmailSender),
        smtp=providers.Singleton(
            SmtpEmailSender,
            server=providers.Callable(parse_smtp_url, config.smtp_url),
            sender=config.smtp_from,
            timeout_seconds=config.smtp_timeout_seconds,
        ),
    )

    # Renders each email when a use case writes it to the outbox, links made absolute.
    email_templates = providers.Singleton(
        JinjaEmailTemplates,
        config.app_url,
        providers.Callable(unsubscribe_base_url, config.public_url, config.app_url),
        config.unsubscribe_secret,
    )

    redis_connection = providers.Singleton(redis_client, config.redis_url)
