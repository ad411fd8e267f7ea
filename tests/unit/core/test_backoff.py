"""Retry timing: exponential backoff from one second, capped at five minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import ValidationError

POLICY = RetryPolicy()
CAP_SECONDS = 300.0
attempts = st.integers(min_value=0, max_value=1_000)


def expected_seconds(attempt: int) -> float:
    """The documented rule, computed in floating-point seconds."""
    return min(2.0**attempt, CAP_SECONDS)


@settings(max_examples=300)
@given(attempts)
def test_delay_doubles_from_one_second_up_to_the_cap(attempt: int) -> None:
    assert POLICY.delay(attempt).total_seconds() == expected_seconds(attempt)


@settings(max_examples=300)
@given(attempts, attempts)
def test_delay_never_decreases(first: int, second: int) -> None:
    low, high = sorted((first, second))
    assert POLICY.delay(low) <= POLICY.delay(high)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**6))
def test_delay_never_exceeds_the_cap(attempt: int) -> None:
    delay = POLICY.delay(attempt)
    assert timedelta(0) < delay <= timedelta(minutes=5)


@settings(max_examples=200)
@given(
    base_ms=st.integers(min_value=1, max_value=10_000),
    cap_s=st.integers(min_value=1, max_value=86_400),
    attempt=st.integers(min_value=0, max_value=200),
)
def test_delay_follows_a_custom_base_and_cap(base_ms: int, cap_s: int, attempt: int) -> None:
    policy = RetryPolicy(base=timedelta(milliseconds=base_ms), cap=timedelta(seconds=cap_s))
    wanted = min(base_ms / 1000 * 2.0**attempt, float(cap_s))
    assert policy.delay(attempt).total_seconds() == pytest.approx(wanted, abs=1e-6)


@settings(max_examples=100)
@given(st.integers(max_value=-1))
def test_negative_attempt_is_rejected(attempt: int) -> None:
    with pytest.raises(ValidationError) as raised:
        POLICY.delay(attempt)
    assert "attempt" in raised.value.field_errors


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10_000))
def test_can_retry_exactly_below_three_attempts(attempts_made: int) -> None:
    assert POLICY.can_retry(attempts_made) is (attempts_made in {0, 1, 2})


def test_first_delays_and_cap_examples() -> None:
    assert [POLICY.delay(n) for n in range(10)] == [
        timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 32, 64, 128, 256, 300)
    ]
    assert POLICY.delay(64) == timedelta(seconds=300)
    assert POLICY.delay(10**9) == timedelta(seconds=300)


def test_can_retry_examples() -> None:
    assert [POLICY.can_retry(n) for n in range(5)] == [True, True, True, False, False]
