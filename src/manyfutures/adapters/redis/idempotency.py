"""Idempotency records in Redis, shared by every gunicorn worker and API host.

``SET NX`` makes the claim atomic across processes; the pending marker carries a
random token so a request can only release its own claim, never a later one.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import redis

from manyfutures.adapters.idempotency import (
    PENDING_SECONDS,
    REPLAY_WINDOW_SECONDS,
    Claim,
    ClaimOutcome,
    StoredResponse,
)

_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "manyfutures:idempotency:",
        window_seconds: int = REPLAY_WINDOW_SECONDS,
        pending_seconds: int = PENDING_SECONDS,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._window = window_seconds
        self._pending_seconds = pending_seconds
        self._pending: dict[str, str] = {}  # key -> our own pending marker

    def claim(self, key: str, fingerprint: str) -> Claim:
        name = self._prefix + key
        marker = json.dumps({"f": fingerprint, "pending": secrets.token_hex(8)})
        for _ in range(2):  # the existing record may expire between SET and GET
            if self._redis.set(name, marker, nx=True, ex=self._pending_seconds):
                self._pending[key] = marker
                return Claim(ClaimOutcome.CLAIMED)
            raw = self._redis.get(name)
            if raw is None:
                continue
            record: dict[str, Any] = json.loads(raw)
            if record.get("f") != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if "pending" in record:
                return Claim(ClaimOutcome.IN_PROGRESS)
            return Claim(ClaimOutcome.REPLAY, _response(record))
        return Claim(ClaimOutcome.IN_PROGRESS)

    def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        record = {
            "f": fingerprint,
            "s": response.status,
            "h": [list(pair) for pair in response.headers],
            "b": base64.b64encode(response.body).decode(),
        }
        self._redis.set(self._prefix + key, json.dumps(record), ex=self._window)
        self._pending.pop(key, None)

    def release(self, key: str, fingerprint: str) -> None:
        marker = self._pending.pop(key, None)
        if marker is not None:
            self._redis.eval(_RELEASE_IF_OURS, 1, self._prefix + key, marker)


def _response(record: dict[str, Any]) -> StoredResponse:
    return StoredResponse(
        status=int(record["s"]),
        headers=tuple((str(name), str(value)) for name, value in record["h"]),
        body=base64.b64decode(record["b"]),
    )
