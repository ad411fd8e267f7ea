"""An assistant reply's way through the cost gate: each attempt reserves the reply's
ceiling before it is queued, and the job settles it with the usage the assistant
reported, or releases it when the assistant fails (generation's rules, ADR 0014)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.conversations.model import ChatMessage, ConversationKind
from manyfutures.core.conversations.ports import ConversationsUnitOfWork
from manyfutures.core.costs.budget import DailyCostLimitReachedError, next_reset
from manyfutures.core.costs.model import Operation
from manyfutures.core.generation.spending import reserve_for
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.shared.ports import IdGenerator

OPERATIONS = {
    ConversationKind.ONBOARDING: Operation.PROJECT_ONBOARDING,
    ConversationKind.CHAT: Operation.CHAT,
}


@dataclass(frozen=True, slots=True)
class ReplyLimits:
    """What one reply may cost (reserved per attempt) and how long it may take before a
    pending reply counts as lost and may be retried."""

    max_cost_gbp: Decimal
    deadline: timedelta

    @classmethod
    def from_settings(cls, max_cost_gbp: str, deadline_seconds: float) -> ReplyLimits:
        return cls(Decimal(max_cost_gbp), timedelta(seconds=deadline_seconds))


def reserve_reply(
    uow: ConversationsUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    record: Recorder,
    kind: ConversationKind,
    reply: ChatMessage,
    limits: ReplyLimits,
    now: datetime,
) -> None:
    """Reserve the reply's attempt, or raise DailyCostLimitReachedError.

    A refusal commits only what the gate did (the breaker opened, its event): the
    caller has written nothing of the conversation yet, so nothing is half stored.
    """
    granted = reserve_for(
        uow,
        ids,
        templates,
        record,
        OPERATIONS[kind],
        reply.reservation_key,
        limits.max_cost_gbp,
        now,
        sessionId=reply.session_id,
    )
    if not granted:
        uow.commit()
        raise DailyCostLimitReachedError(next_reset(now), now)
