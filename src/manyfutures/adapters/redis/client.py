"""One Redis client per process, and its readiness probe."""

from __future__ import annotations

import redis

from manyfutures.adapters.readiness import CallableProbe

CONNECT_TIMEOUT_SECONDS = 2.0


def redis_client(url: str) -> redis.Redis:
    """Connections are made lazily, so building the client never blocks start-up."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def redis_probe(client: redis.Redis) -> CallableProbe:
    return CallableProbe("redis", client.ping)
