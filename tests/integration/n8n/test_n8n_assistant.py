"""The n8n assistant adapter against a real HTTP server: the payload and the Header Auth
credential it sends, the reply it reads, and every way an answer is unusable."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from manyfutures.adapters.n8n.assistant import N8nAssistant
from manyfutures.core.conversations.model import ChatRole, ConversationKind, Proposal
from manyfutures.core.conversations.ports import (
    AssistantRequest,
    AssistantUnavailableError,
    ReplyUsage,
    Turn,
)
from tests.support.assistant_standin import AssistantStandIn

pytestmark = pytest.mark.integration

HEADER_NAME, HEADER_VALUE = "X-Webhook-Key", "n8n-header-auth-value"
REQUEST = AssistantRequest(
    kind=ConversationKind.CHAT,
    organization_id="org_a",
    session_id="chat_1",
    message_id="msg_2",
    attempt=1,
    turns=(Turn(ChatRole.USER, "Is sodium-ion real?"),),
    context="Sodium\n\nCheaper cells",
    max_cost_gbp=Decimal("0.10"),
)


@pytest.fixture
def standin() -> Iterator[AssistantStandIn]:
    with AssistantStandIn() as server:
        yield server


def assistant(url: str, read_timeout: float = 5.0) -> N8nAssistant:
    return N8nAssistant(url, HEADER_NAME, HEADER_VALUE, 1.0, read_timeout)


def test_it_posts_the_conversation_with_the_credential_and_reads_the_reply(
    standin: AssistantStandIn,
) -> None:
    answer = assistant(standin.url).reply(REQUEST)
    assert answer.content == "Sodium-ion cells are shipping in buses this year."
    assert answer.usage == (ReplyUsage("gpt-4o-mini", 900, 60, Decimal("0.0002")),)
    (received,) = standin.received
    assert received.headers[HEADER_NAME] == HEADER_VALUE
    assert received.body == {
        "kind": "chat",
        "organizationId": "org_a",
        "sessionId": "chat_1",
        "messageId": "msg_2",
        "attempt": 1,
        "messages": [{"role": "user", "content": "Is sodium-ion real?"}],
        "context": "Sodium\n\nCheaper cells",
        "maxCostGbp": "0.10",
    }


def test_an_onboarding_answer_carries_its_proposal(standin: AssistantStandIn) -> None:
    standin.answer = {
        "reply": "How about this?",
        "usage": [{"model": "gpt-4o", "promptTokens": 10, "completionTokens": 5}],
        "proposal": {
            "title": "Ports",
            "brief": "Shipping",
            "cadenceMode": "custom",
            "days": [1, 4],
        },
    }
    answer = assistant(standin.url).reply(REQUEST)
    assert answer.proposal == Proposal("Ports", "Shipping", "custom", (1, 4))
    assert answer.usage == (ReplyUsage("gpt-4o", 10, 5, None),)


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"reply": ""},
        {"reply": 3},
        {"reply": "ok", "usage": [{"model": "m", "promptTokens": -1, "completionTokens": 1}]},
        {"reply": "ok", "usage": [{"model": "m", "promptTokens": 1, "completionTokens": True}]},
        {
            "reply": "ok",
            "usage": [{"model": "m", "promptTokens": 1, "completionTokens": 1, "costGbp": "-1"}],
        },
        {
            "reply": "ok",
            "usage": [{"model": "m", "promptTokens": 1, "completionTokens": 1, "costGbp": "x"}],
        },
        {"reply": "ok", "proposal": {"title": "t"}},
        {"reply": "ok", "proposal": {"title": "t", "brief": "b", "days": ["monday"]}},
        [],
    ],
)
def test_a_malformed_answer_is_unavailable(standin: AssistantStandIn, answer: Any) -> None:
    standin.answer = answer
    with pytest.raises(AssistantUnavailableError, match="malformed"):
        assistant(standin.url).reply(REQUEST)


def test_a_non_2xx_answer_is_unavailable(standin: AssistantStandIn) -> None:
    standin.status = 500
    with pytest.raises(AssistantUnavailableError, match="answered 500"):
        assistant(standin.url).reply(REQUEST)


def test_a_slow_assistant_times_out_without_naming_the_url_or_credential(
    standin: AssistantStandIn,
) -> None:
    standin.held.set()
    with pytest.raises(AssistantUnavailableError) as raised:
        assistant(standin.url, read_timeout=0.2).reply(REQUEST)
    assert str(raised.value) == "the assistant did not answer in time"
    assert HEADER_VALUE not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_an_unreachable_assistant_is_unavailable() -> None:
    with AssistantStandIn() as closed:
        url = closed.url
    with pytest.raises(AssistantUnavailableError, match="could not be reached"):
        assistant(url).reply(REQUEST)
