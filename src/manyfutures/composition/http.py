"""What only the HTTP API needs: who the caller is, replayed requests, rate-limit counters,
readiness. Workers and the scheduler never build these.

API state shared between processes (idempotency records, rate-limit counters) goes to
Redis when MANYFUTURES_REDIS_URL is set, else stays in this process (memory mode, tests).
"""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.adapters.admitted_sessions import AdmittedSessions
from manyfutures.adapters.clerk.session_verifier import ClerkSessionVerifier
from manyfutures.adapters.clerk.webhook_verifier import SvixWebhookVerifier
from manyfutures.adapters.memory.dev_identity import DevHeaderVerifier
from manyfutures.adapters.memory.idempotency import InMemoryIdempotencyStore
from manyfutures.adapters.memory.rate_limit import InMemoryWindowCounter
from manyfutures.adapters.n8n.callback_signature import CallbackSignatureVerifier
from manyfutures.adapters.postgres.wiring import database_probe
from manyfutures.adapters.rate_limit import RateLimiter
from manyfutures.adapters.readiness import configured
from manyfutures.adapters.redis.client import redis_probe
from manyfutures.adapters.redis.idempotency import RedisIdempotencyStore
from manyfutures.adapters.redis.rate_limit import RedisWindowCounter


def _shared_state_backend(redis_url: str) -> str:
    return "redis" if redis_url else "memory"


class HttpContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

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
    webhook_verifier = providers.Singleton(SvixWebhookVerifier, config.clerk_webhook_signing_secret)
    n8n_callback_signature = providers.Singleton(
        CallbackSignatureVerifier, config.n8n_callback_secret, adapters.clock
    )
    # Sessions this process admitted lately: admission is skipped for them (ADR 0011).
    admitted_sessions = providers.Singleton(AdmittedSessions, adapters.clock)

    shared_state = providers.Callable(_shared_state_backend, config.redis_url)
    idempotency_store = providers.Selector(
        shared_state,
        memory=providers.Singleton(InMemoryIdempotencyStore, adapters.clock),
        redis=providers.Singleton(RedisIdempotencyStore, adapters.redis_connection),
    )
    rate_limit_counter = providers.Selector(
        shared_state,
        memory=providers.Singleton(InMemoryWindowCounter, adapters.clock),
        redis=providers.Singleton(RedisWindowCounter, adapters.redis_connection),
    )
    # Per process: each holds its own batches of the shared allowance (adapters/rate_limit.py).
    rate_limiter = providers.Singleton(
        RateLimiter, rate_limit_counter, adapters.clock, config.rate_limit
    )

    # GET /readyz: each storage and Redis contributes a probe when configured; memory
    # storage has nothing to probe.
    database_probe = providers.Selector(
        config.storage,
        memory=providers.Object(None),
        postgres=providers.Singleton(database_probe, adapters.postgres_engine),
    )
    redis_readiness_probe = providers.Selector(
        shared_state,
        memory=providers.Object(None),
        redis=providers.Singleton(redis_probe, adapters.redis_connection),
    )
    readiness_probes = providers.Callable(configured, database_probe, redis_readiness_probe)
