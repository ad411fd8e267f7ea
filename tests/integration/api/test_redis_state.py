"""Idempotency, rate limits and readiness on a real Redis (MANYFUTURES_REDIS_URL).

On CI (CI=true) Redis must answer: .ci/run starts it, so a missing server is a
failure there, never a skip. Elsewhere the tests skip when nothing listens.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator

import pytest
import redis

from manyfutures.adapters.idempotency import ClaimOutcome, StoredResponse
from manyfutures.adapters.redis.client import redis_client
from manyfutures.adapters.redis.idempotency import RedisIdempotencyStore
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.unit.http.conftest import Api, assert_problem, build_test_container, seed_tenants

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("MANYFUTURES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis_client(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield connection
    connection.close()


@pytest.fixture
def store(client: redis.Redis) -> RedisIdempotencyStore:
    return RedisIdempotencyStore(client, prefix=f"test:{secrets.token_hex(4)}:")


def test_claim_complete_replay_and_mismatch(store: RedisIdempotencyStore) -> None:
    assert store.claim("k", "f1").outcome is ClaimOutcome.CLAIMED
    assert store.claim("k", "f1").outcome is ClaimOutcome.IN_PROGRESS
    assert store.claim("k", "f2").outcome is ClaimOutcome.MISMATCH
    store.complete("k", "f1", StoredResponse(201, (("ETag", '"v1"'),), b'{"id": 1}'))
    replay = store.claim("k", "f1")
    assert replay.outcome is ClaimOutcome.REPLAY
    assert replay.response == StoredResponse(201, (("ETag", '"v1"'),), b'{"id": 1}')
    assert store.claim("k", "f2").outcome is ClaimOutcome.MISMATCH


def test_release_frees_only_ones_own_claim(client: redis.Redis) -> None:
    prefix = f"test:{secrets.token_hex(4)}:"
    first, second = RedisIdempotencyStore(client, prefix), RedisIdempotencyStore(client, prefix)
    assert first.claim("k", "f").outcome is ClaimOutcome.CLAIMED
    second.release("k", "f")  # not its claim: nothing happens
    assert second.claim("k", "f").outcome is ClaimOutcome.IN_PROGRESS
    first.release("k", "f")
    assert second.claim("k", "f").outcome is ClaimOutcome.CLAIMED


def test_exactly_one_of_many_concurrent_claims_wins(client: redis.Redis) -> None:
    prefix = f"test:{secrets.token_hex(4)}:"
    outcomes: list[ClaimOutcome] = []
    lock = threading.Lock()

    def claim() -> None:
        outcome = RedisIdempotencyStore(client, prefix).claim("race", "f").outcome
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(ClaimOutcome.CLAIMED) == 1
    assert outcomes.count(ClaimOutcome.IN_PROGRESS) == 15


def test_records_expire_with_the_replay_window(client: redis.Redis) -> None:
    store = RedisIdempotencyStore(client, f"test:{secrets.token_hex(4)}:", window_seconds=60)
    store.claim("k", "f")
    store.complete("k", "f", StoredResponse(200, (), b"{}"))
    assert 0 < client.ttl(store._prefix + "k") <= 60


def test_the_api_with_redis_replays_rate_limits_and_is_ready(client: redis.Redis) -> None:
    client.flushdb()
    settings = Settings(redis_url=REDIS_URL, rate_limit="5 per minute")
    container = build_test_container(settings)
    seed_tenants(container)
    api = Api(create_app(container).test_client())

    body = {"title": "Shared state", "brief": "Across processes"}
    first = api.post("/v1/projects", json=body, headers={"Idempotency-Key": "redis-1"})
    # A second app (another gunicorn worker) sees the same record.
    other_worker = Api(create_app(container).test_client())
    replay = other_worker.post("/v1/projects", json=body, headers={"Idempotency-Key": "redis-1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == first.get_data()

    ready = api.client.get("/readyz").get_json()
    assert ready == {"status": "ready", "checks": {"redis": "ok"}}

    statuses = [api.get("/v1/me").status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert_problem(api.get("/v1/me"), 429, "rate-limited")
    client.flushdb()
