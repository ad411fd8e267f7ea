"""The RQ queues ``manyfutures worker`` listens on, and the Redis client RQ gets.

Named queues keep kinds of work apart in ``rq info`` and rq-dashboard, and let a
deployment run workers for one kind only (``manyfutures worker outbox``).
"""

from __future__ import annotations

import redis

GENERATION = "generation"  # start a generation: one per claimed (queue item, attempt)
ASSISTANT = "assistant"  # produce an assistant reply: one per (reply, attempt)
OUTBOX = "outbox"  # deliver outbox messages
SIMULATION = "simulation"  # the simulated generator's runs, standing in for n8n
CONNECT_TIMEOUT_SECONDS = 2.0


def rq_connection(url: str) -> redis.Redis:
    """No read timeout of our own: a worker blocks on BLPOP for minutes, and RQ sets the
    socket timeout it needs for that (``BaseWorker._set_connection``)."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, health_check_interval=30
    )
