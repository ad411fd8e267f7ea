"""Rate-limit counters in Redis, shared by every API process: one round trip per claim."""

from __future__ import annotations

import redis


class RedisWindowCounter:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def add(self, key: str, amount: int, ttl_seconds: int) -> int:
        """INCRBY and EXPIRE in one MULTI/EXEC: the key lives as long as its window."""
        pipeline = self._client.pipeline(transaction=True)
        pipeline.incrby(key, amount)
        pipeline.expire(key, ttl_seconds)
        total, _ = pipeline.execute()
        return int(total)
