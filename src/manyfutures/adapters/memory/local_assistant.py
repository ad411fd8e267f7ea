"""Memory mode's assistant: deterministic, local, free.

It answers from the conversation alone, so development and tests see the whole reply
path (job, usage, proposal) without a model. Onboarding proposes the first thing the
reader said as the title, everything they said as the brief, and a cadence from the
words "daily" or "weekday"; chat echoes the question and quotes what it is about.
"""

from __future__ import annotations

from decimal import Decimal

from manyfutures.core.conversations.model import ChatRole, ConversationKind, Proposal
from manyfutures.core.conversations.ports import AssistantReply, AssistantRequest, ReplyUsage
from manyfutures.core.projects.model import MAX_BRIEF_LENGTH

MODEL = "local-assistant"
TITLE_LENGTH = 80
QUOTE_LENGTH = 280


class LocalAssistant:
    def reply(self, request: AssistantRequest) -> AssistantReply:
        said = [turn.content for turn in request.turns if turn.role is ChatRole.USER]
        if request.kind is ConversationKind.ONBOARDING:
            proposal = _proposal(said)
            content = (
                f"Here is what I propose: “{proposal.title}”, {proposal.cadence_mode}. "
                "Tell me more to refine it, or complete the session to create the project."
            )
        else:
            proposal = None
            content = f"You asked: “{said[-1] if said else ''}”."
            if request.context:
                content += f" From what you are reading: {request.context[:QUOTE_LENGTH]}"
        prompt = sum(len(turn.content.split()) for turn in request.turns)
        prompt += len(request.context.split())
        usage = ReplyUsage(MODEL, prompt, len(content.split()), Decimal("0"))
        return AssistantReply(content, (usage,), proposal)


def _proposal(said: list[str]) -> Proposal:
    first = said[0] if said else "My topic"
    title = first.splitlines()[0].split(". ")[0][:TITLE_LENGTH].strip() or "My topic"
    words = " ".join(said).lower()
    days: tuple[int, ...]
    if "daily" in words or "every day" in words:
        mode, days = "daily", ()
    elif "weekday" in words:
        mode, days = "weekdays", ()
    else:
        mode, days = "weekly", (1,)
    return Proposal(title, "\n\n".join(said)[:MAX_BRIEF_LENGTH] or title, mode, days)
