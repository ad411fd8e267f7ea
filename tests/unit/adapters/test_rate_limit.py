"""The batched rate limit: exact in one process, never over the limit across several, and
under it by at most (processes - 1) * (batch - 1); one shared-counter claim per batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.adapters.memory.rate_limit import InMemoryWindowCounter
from manyfutures.adapters.rate_limit import (
    MAX_BATCH,
    RateLimiter,
    Refusal,
    batch_size,
    granted,
)
from tests.support.fakes import ManualClock

# 30 s into a minute window.
START = datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC)


class CountingCounter(InMemoryWindowCounter):
    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.claims = 0

    def add(self, key: str, amount: int, ttl_seconds: int) -> int:
        self.claims += 1
        return super().add(key, amount, ttl_seconds)


def test_one_process_serves_exactly_the_limit_then_says_when_to_retry() -> None:
    clock = ManualClock(START)
    limiter = RateLimiter(InMemoryWindowCounter(clock), clock, "600 per minute")
    assert [limiter.hit("user:a") for _ in range(600)] == [None] * 600
    assert limiter.hit("user:a") == Refusal("600 per 1 minute", 30)
    assert limiter.hit("user:b") is None  # per key


def test_a_new_window_starts_afresh_and_old_allowance_is_not_carried_over() -> None:
    clock = ManualClock(START)
    counter = CountingCounter(clock)
    limiter = RateLimiter(counter, clock, "100 per minute")
    assert limiter.hit("user:a") is None  # claims a batch of 2, spends 1
    for _ in range(99):
        limiter.hit("user:a")
    assert limiter.hit("user:a") is not None
    clock.advance(timedelta(seconds=30))
    claims = counter.claims
    assert [limiter.hit("user:a") for _ in range(100)] == [None] * 100
    assert counter.claims == claims + 50
    assert limiter.hit("user:a") is not None


def test_the_shared_counter_is_claimed_once_per_batch_and_not_at_all_once_spent() -> None:
    clock = ManualClock(START)
    counter = CountingCounter(clock)
    limiter = RateLimiter(counter, clock, "600 per minute")
    for _ in range(600):
        limiter.hit("user:a")
    assert counter.claims == 600 // batch_size(600) == 50
    for _ in range(100):
        assert limiter.hit("user:a") is not None
    assert counter.claims == 51  # one claim found nothing left; then no more round trips


def test_every_configured_limit_applies() -> None:
    clock = ManualClock(START)
    limiter = RateLimiter(InMemoryWindowCounter(clock), clock, "2 per second; 3 per minute")
    assert [limiter.hit("k") for _ in range(2)] == [None, None]
    assert limiter.hit("k") == Refusal("2 per 1 second", 1)
    clock.advance(timedelta(seconds=1))
    assert limiter.hit("k") is None
    refusal = limiter.hit("k")
    assert refusal is not None
    assert refusal.limit in ("3 per 1 minute", "2 per 1 second")


@given(limit=st.integers(1, 100_000))
def test_a_batch_is_a_fiftieth_of_the_limit_between_1_and_the_maximum(limit: int) -> None:
    assert 1 <= batch_size(limit) <= MAX_BATCH
    assert batch_size(limit) <= max(1, limit // 50)


@given(limit=st.integers(1, 1000), batch=st.integers(1, MAX_BATCH), before=st.integers(0, 2000))
def test_a_claim_grants_only_what_is_still_under_the_limit(
    limit: int, batch: int, before: int
) -> None:
    usable = granted(limit, batch, before + batch)
    assert 0 <= usable <= batch
    assert usable == max(0, min(batch, limit - before))


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 250),
    processes=st.integers(1, 4),
    data=st.data(),
)
def test_across_processes_never_over_the_limit_and_short_by_at_most_the_margin(
    limit: int, processes: int, data: st.DataObject
) -> None:
    clock = ManualClock(START)
    counter = InMemoryWindowCounter(clock)  # the shared counter (Redis in production)
    limiters = [RateLimiter(counter, clock, f"{limit} per minute") for _ in range(processes)]
    order = data.draw(st.lists(st.integers(0, processes - 1), min_size=limit, max_size=3 * limit))
    margin = (processes - 1) * (batch_size(limit) - 1)
    served = 0
    for process in order:
        if limiters[process].hit("user:a") is None:
            served += 1
        else:
            assert served >= limit - margin
        assert served <= limit
