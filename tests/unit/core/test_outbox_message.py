"""The outbox message's state machine: pending until sent or dead, attempts bounded.

Random sequences of operations are replayed against a model written here from the
rules in ``core/outbox/model.py``: an illegal step raises ``StateConflictError`` and
changes nothing; a legal one lands exactly where the model says.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.outbox.model import OutboxMessage, OutboxStatus
from manyfutures.core.outbox.use_cases import DEFAULT_MAX_ATTEMPTS, delivery_policy
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import StateConflictError
from tests.support import builders
from tests.support.builders import T0

S = OutboxStatus
ops = st.tuples(
    st.sampled_from(["claim", "sent", "transient", "permanent", "give_up"]),
    st.integers(1, 3_600),  # lease seconds, for a claim
)
steps = st.integers(min_value=0, max_value=7_200)


def expectation(
    before: OutboxMessage, op: tuple[str, int], now: datetime, policy: RetryPolicy
) -> tuple[bool, OutboxMessage, Any]:
    after = copy.deepcopy(before)
    kind = op[0]
    pending = before.status is S.PENDING
    if kind == "claim":
        if not (pending and before.available_at <= now):
            return False, before, None
        after.attempts += 1
        after.lease_until = after.available_at = now + timedelta(seconds=op[1])
        return True, after, None
    if not pending:
        return False, before, None
    after.lease_until = None
    if kind == "sent":
        after.status, after.sent_at = S.SENT, now
        return True, after, None
    after.last_error = "refused"
    retry = kind == "transient" and before.attempts < policy.max_attempts
    if retry:
        after.available_at = now + policy.delay(before.attempts)
    else:
        after.status, after.dead_at = S.DEAD, now
    return True, after, retry if kind != "give_up" else None


def apply(message: OutboxMessage, op: tuple[str, int], now: datetime, policy: RetryPolicy) -> Any:
    kind = op[0]
    if kind == "claim":
        return message.claim(now, timedelta(seconds=op[1]))
    if kind == "sent":
        return message.mark_sent(now)
    if kind == "give_up":
        return message.give_up("refused", now)
    return message.record_failure("refused", now, policy, permanent=kind == "permanent")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(ops, steps), max_size=30), st.integers(1, 10))
def test_a_message_follows_its_rules(ops: list[tuple[tuple[str, int], int]], attempts: int) -> None:
    policy = delivery_policy(attempts)
    message = builders.outbox_message()
    now = T0
    for op, seconds in ops:
        now += timedelta(seconds=seconds)
        before = copy.deepcopy(message)
        legal, expected, returned = expectation(before, op, now, policy)
        if legal:
            assert apply(message, op, now, policy) == returned
        else:
            with pytest.raises(StateConflictError):
                apply(message, op, now, policy)
        assert message == expected
        assert message.attempts <= len(ops)
        assert message.is_due(now) is (message.status is S.PENDING and message.available_at <= now)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12))
def test_transient_refusals_retry_with_backoff_until_the_last_attempt(attempts: int) -> None:
    policy = delivery_policy(attempts)
    message = builders.outbox_message()
    now = T0
    waits = []
    while message.status is S.PENDING:
        message.claim(now, timedelta(minutes=10))
        if message.record_failure("451 try later", now, policy, permanent=False):
            waits.append(message.available_at - now)
            now = message.available_at
    assert (message.status, message.attempts, message.dead_at) == (S.DEAD, attempts, now)
    assert waits == [policy.delay(n) for n in range(1, attempts)]
    assert message.last_error == "451 try later"
    assert not message.is_due(now + timedelta(days=365))


def test_the_default_allows_eight_attempts_a_minute_apart_at_first() -> None:
    policy = delivery_policy()
    assert policy.max_attempts == DEFAULT_MAX_ATTEMPTS == 8
    assert policy.delay(1) == timedelta(minutes=1)
    assert policy.delay(20) == timedelta(hours=1)


def test_a_permanent_refusal_is_dead_at_once() -> None:
    message = builders.outbox_message()
    message.claim(T0, timedelta(minutes=10))
    assert (
        message.record_failure("550 no such user", T0, delivery_policy(), permanent=True) is False
    )
    assert (message.status, message.attempts, message.dead_at) == (S.DEAD, 1, T0)
    assert message.lease_until is None


def test_a_claim_leases_the_message_until_the_lease_runs_out() -> None:
    message = builders.outbox_message()
    message.claim(T0, timedelta(minutes=10))
    assert (message.status, message.attempts) == (S.PENDING, 1)
    assert message.holds_lease(T0 + timedelta(minutes=9, seconds=59))
    assert not message.is_due(T0 + timedelta(minutes=9, seconds=59))
    # The dispatcher may no longer send it; anyone may claim it again.
    assert not message.holds_lease(T0 + timedelta(minutes=10))
    assert message.is_due(T0 + timedelta(minutes=10))
    message.claim(T0 + timedelta(minutes=10), timedelta(minutes=10))
    assert message.attempts == 2


def test_a_sent_message_stays_sent() -> None:
    message = builders.outbox_message()
    message.claim(T0, timedelta(minutes=10))
    message.mark_sent(T0)
    before = copy.deepcopy(message)
    for late in (
        lambda: message.record_failure("late", T0, delivery_policy(), permanent=False),
        lambda: message.give_up("late", T0),
        lambda: message.claim(T0 + timedelta(days=1), timedelta(minutes=1)),
    ):
        with pytest.raises(StateConflictError):
            late()
    assert message == before
    assert not message.holds_lease(T0)
