"""Idempotency, rate limits and readiness on a real Redis (MANYFUTURES_TEST_REDIS_URL's
server, on a database number held for this session).

On CI (CI=true) Redis must answer: .ci/run starts it, so a missing server is a
failure there, never a skip. Elsewhere, when nothing listens, a throwaway
redis-server stands in (tests/support/redis_server.py).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import pytest
import redis

from manyfutures.adapters.idempotency import ClaimOutcome, StoredResponse
from manyfutures.adapters.rate_limit import RateLimiter, batch_size
from manyfutures.adapters.redis.client import redis_client
from manyfutures.adapters.redis.idempotency import RedisIdempotencyStore
from manyfutures.adapters.redis.rate_limit import RedisWindowCounter
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.support.fakes import ManualClock
from tests.support.redis_server import private_database, redis_server
from tests.unit.http.conftest import Api, assert_problem, build_test_container, seed_tenants

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A database number of this session's own: the API test empties it (rate-limit
    counters), which on a shared number would wipe another test run's keys."""
    with redis_server() as server, private_database(server) as url:
        yield url


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis_client(redis_url)
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


def test_the_api_with_redis_replays_rate_limits_and_is_ready(
    client: redis.Redis, redis_url: str
) -> None:
    client.flushdb()
    settings = Settings(redis_url=redis_url, rate_limit="5 per minute")
    container = build_test_container(settings)
    seed_tenants(container)
    api = Api(create_app(container).test_client())

    body = {"title": "Shared state", "brief": "Across processes"}
    first = api.post("/v1/projects", json=body, headers={"Idempotency-Key": "redis-1"})
    assert first.status_code == 201
    # Another gunicorn worker: its own container and store, the same Redis. (Wiring is per
    # module, so both apps' handlers now use this container; what follows needs only Redis.)
    other_container = build_test_container(settings)
    seed_tenants(other_container)
    assert other_container.http.idempotency_store() is not container.http.idempotency_store()
    other_worker = Api(create_app(other_container).test_client())
    replay = other_worker.post("/v1/projects", json=body, headers={"Idempotency-Key": "redis-1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == first.get_data()

    ready = api.client.get("/readyz").get_json()
    assert (ready["status"], ready["checks"]) == ("ready", {"redis": "ok"})

    # Five requests per minute: the POST and its replay took two, so three more pass.
    statuses = [api.get("/v1/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert_problem(api.get("/v1/me"), 429, "rate-limited")
    client.flushdb()


def test_rate_limit_claims_are_shared_and_expire_with_their_window(client: redis.Redis) -> None:
    counter = RedisWindowCounter(client)
    key = f"test:{secrets.token_hex(4)}:rate"
    assert counter.add(key, 12, ttl_seconds=30) == 12
    assert counter.add(key, 12, ttl_seconds=29) == 24
    assert 0 < client.ttl(key) <= 29


def test_two_processes_on_redis_serve_at_most_the_limit(client: redis.Redis) -> None:
    clock = ManualClock()
    workers = [RateLimiter(RedisWindowCounter(client), clock, "600 per minute") for _ in range(2)]
    user = f"user:{secrets.token_hex(4)}"
    served = sum(workers[n % 2].hit(user) is None for n in range(700))
    assert 600 - (batch_size(600) - 1) <= served <= 600
