"""The n8n assistant: POST the conversation to the chat workflow's webhook and read the
reply from its answer (integrations/n8n/assistant-chat.json).

Unlike generation, the workflow answers in the same request ("Respond to Webhook"), so
the call is synchronous; it is only ever made from a reply job, never on an API
thread, and bounded by a connect and a read timeout. Authentication is the same
Header Auth credential as the generation webhook (``N8N_WEBHOOK_HEADER_NAME`` /
``N8N_WEBHOOK_HEADER_VALUE``). Anything but a 2xx answer with a well-formed body —
refused, timed out, a redirect, a body without a reply — is AssistantUnavailableError,
and its message names neither the URL nor the credential.

The body sent::

    {"kind": "chat"|"onboarding", "organizationId", "sessionId", "messageId", "attempt",
     "messages": [{"role": "user"|"assistant", "content"}], "context", "maxCostGbp"}

and the answer expected::

    {"reply": "…", "usage": [{"model", "promptTokens", "completionTokens", "costGbp"?}],
     "proposal": {"title", "brief", "cadenceMode", "days"} | null}
"""

from __future__ import annotations

import json
import os
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from manyfutures.core.conversations.model import MAX_MESSAGE_LENGTH, Proposal
from manyfutures.core.conversations.ports import (
    AssistantReply,
    AssistantRequest,
    AssistantUnavailableError,
    ReplyUsage,
)
from manyfutures.core.costs.prices import MAX_TOKENS


class N8nAssistant:
    def __init__(
        self,
        webhook_url: str,
        header_name: str,
        header_value: str,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._webhook_url = webhook_url
        self._headers = {"Content-Type": "application/json", header_name: header_value}
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._client_pid = 0

    def reply(self, request: AssistantRequest) -> AssistantReply:
        body = json.dumps(_payload(request)).encode("utf-8")
        try:
            response = self._http().post(self._webhook_url, content=body, headers=self._headers)
        except httpx.TimeoutException:
            raise AssistantUnavailableError("the assistant did not answer in time") from None
        except httpx.HTTPError:
            raise AssistantUnavailableError("the assistant could not be reached") from None
        if not response.is_success:
            raise AssistantUnavailableError(f"the assistant answered {response.status_code}")
        try:
            return parse_answer(response.json())
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise AssistantUnavailableError("the assistant's answer was malformed") from None

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                # After a fork the parent's client (and its sockets) is left alone.
                self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
                self._client_pid = os.getpid()
            return self._client


def _payload(request: AssistantRequest) -> dict[str, Any]:
    return {
        "kind": request.kind.value,
        "organizationId": request.organization_id,
        "sessionId": request.session_id,
        "messageId": request.message_id,
        "attempt": request.attempt,
        "messages": [{"role": t.role.value, "content": t.content} for t in request.turns],
        "context": request.context,
        "maxCostGbp": str(request.max_cost_gbp),
    }


def parse_answer(answer: Any) -> AssistantReply:
    """Raise ValueError, KeyError or TypeError for anything but the documented shape."""
    reply = answer["reply"]
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError("an empty reply")
    usage = tuple(_usage(line) for line in answer.get("usage") or [])
    proposal = answer.get("proposal")
    return AssistantReply(
        reply.strip()[:MAX_MESSAGE_LENGTH],
        usage,
        None if proposal is None else _proposal(proposal),
    )


def _usage(line: dict[str, Any]) -> ReplyUsage:
    model, prompt, completion = line["model"], line["promptTokens"], line["completionTokens"]
    if not isinstance(model, str) or not model:
        raise ValueError("a usage line without its model")
    for count in (prompt, completion):
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_TOKENS:
            raise ValueError("a token count out of range")
    cost = line.get("costGbp")
    cost_gbp = None if cost is None else Decimal(str(cost))
    if cost_gbp is not None and (not cost_gbp.is_finite() or cost_gbp < 0):
        raise ValueError("a negative or non-finite cost")
    return ReplyUsage(model, prompt, completion, cost_gbp)


def _proposal(data: dict[str, Any]) -> Proposal:
    days = data.get("days") or []
    if not isinstance(data["title"], str) or not isinstance(data["brief"], str):
        raise TypeError("a proposal's title and brief are text")
    if not all(isinstance(day, int) and not isinstance(day, bool) for day in days):
        raise TypeError("a proposal's days are integers")
    return Proposal(
        data["title"], data["brief"], str(data.get("cadenceMode") or "weekly"), tuple(days)
    )
