"""The conversations' pure rules: what a message may be, when a reply may be retried,
each attempt's own cost-gate key, and the local assistant's proposals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.adapters.memory.local_assistant import LocalAssistant
from manyfutures.core.conversations.model import (
    MAX_MESSAGE_LENGTH,
    ChatMessage,
    ChatRole,
    ConversationKind,
    MessageStatus,
    attempt_key,
    validate_message,
)
from manyfutures.core.conversations.ports import AssistantRequest, Turn
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import validate_brief, validate_title
from manyfutures.core.shared.errors import StateConflictError, ValidationError
from tests.support.builders import T0

DEADLINE = timedelta(seconds=120)


@given(st.text(max_size=MAX_MESSAGE_LENGTH + 50))
def test_a_message_is_accepted_exactly_when_its_stripped_text_is_1_to_4000_long(
    text: str,
) -> None:
    stripped = text.strip()
    if 1 <= len(stripped) <= MAX_MESSAGE_LENGTH:
        assert validate_message(text) == stripped
    else:
        with pytest.raises(ValidationError) as raised:
            validate_message(text)
        assert set(raised.value.field_errors) == {"content"}


def test_the_length_limit_is_inclusive() -> None:
    assert validate_message("x" * MAX_MESSAGE_LENGTH) == "x" * MAX_MESSAGE_LENGTH
    with pytest.raises(ValidationError):
        validate_message("x" * (MAX_MESSAGE_LENGTH + 1))


def reply(status: MessageStatus, waited: timedelta = timedelta(0)) -> ChatMessage:
    message = ChatMessage.pending_reply("msg_1", "org_a", "chat_1", T0 - waited)
    if status is MessageStatus.COMPLETED:
        message.complete("answer", T0)
    elif status is MessageStatus.FAILED:
        message.fail("down", T0)
    return message


@given(
    status=st.sampled_from(MessageStatus),
    waited=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=1)),
)
def test_a_reply_is_retryable_if_failed_or_pending_past_the_deadline(
    status: MessageStatus, waited: timedelta
) -> None:
    message = reply(status, waited)
    expected = status is MessageStatus.FAILED or (
        status is MessageStatus.PENDING and waited >= DEADLINE
    )
    assert message.retryable(T0, DEADLINE) is expected
    if expected:
        before = message.reservation_key
        message.retry(T0, DEADLINE)
        assert (message.status, message.attempt, message.error) == (MessageStatus.PENDING, 2, None)
        assert message.reservation_key != before
        assert message.awaits(2) and not message.awaits(1)
    else:
        with pytest.raises(StateConflictError):
            message.retry(T0, DEADLINE)


def test_a_users_message_is_never_retryable() -> None:
    message = reply(MessageStatus.FAILED)
    message.role = ChatRole.USER
    assert not message.retryable(T0, DEADLINE)


@given(
    st.tuples(st.text(min_size=1, max_size=8), st.integers(1, 99)),
    st.tuples(st.text(min_size=1, max_size=8), st.integers(1, 99)),
)
def test_attempt_keys_differ_for_different_attempts(a: tuple[str, int], b: tuple[str, int]) -> None:
    """Ids are ``prefix_ULID`` (no dot), so the key names one attempt of one message."""
    a_id, b_id = (f"msg_{a[0].replace('.', '')}", f"msg_{b[0].replace('.', '')}")
    if (a_id, a[1]) != (b_id, b[1]):
        assert attempt_key(a_id, a[1]) != attempt_key(b_id, b[1])


def test_an_error_is_kept_short() -> None:
    message = reply(MessageStatus.PENDING)
    message.fail("x" * 10_000, T0)
    assert message.error is not None and len(message.error) == 500


@given(st.lists(st.text(min_size=1, max_size=500).filter(str.strip), min_size=1, max_size=5))
def test_the_local_assistants_proposal_is_always_a_valid_project(said: list[str]) -> None:
    request = AssistantRequest(
        kind=ConversationKind.ONBOARDING,
        organization_id="org_a",
        session_id="chat_1",
        message_id="msg_9",
        attempt=1,
        turns=tuple(Turn(ChatRole.USER, text.strip()) for text in said),
        context="",
        max_cost_gbp=Decimal("0.10"),
    )
    answer = LocalAssistant().reply(request)
    assert answer.proposal is not None
    assert answer == LocalAssistant().reply(request)  # deterministic
    validate_title(answer.proposal.title)
    validate_brief(answer.proposal.brief)
    Cadence.create(answer.proposal.cadence_mode, answer.proposal.days)
