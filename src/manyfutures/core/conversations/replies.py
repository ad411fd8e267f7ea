"""The job that produces an assistant reply.

It reads what the assistant needs in one short unit of work, calls the assistant with
no transaction open (the adapter's timeout bounds the wait), and then, in a second
one, records the usage and settles the attempt's reservation, and completes the
reply, or, if the assistant failed, releases the reservation and marks the reply
failed. A job for an attempt that is no longer awaited (the reply was retried, or
another run of the same job finished first) changes nothing but the ledger: money the
assistant reports spending is always recorded, once per attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from manyfutures.core.conversations.model import (
    ChatMessage,
    Conversation,
    ConversationKind,
    MessageStatus,
    attempt_key,
)
from manyfutures.core.conversations.ports import (
    Assistant,
    AssistantReply,
    AssistantRequest,
    AssistantUnavailableError,
    ConversationsUnitOfWork,
    Turn,
)
from manyfutures.core.conversations.spending import OPERATIONS, ReplyLimits
from manyfutures.core.costs.model import TokenUsage
from manyfutures.core.costs.prices import PriceTable
from manyfutures.core.generation.spending import release_run_reservation, settle_run_usage
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)
# The assistant reads at most this much of an episode or a brief.
MAX_CONTEXT_CHARACTERS = 20_000


@dataclass(frozen=True, slots=True)
class ProduceReplyCommand:
    organization_id: str
    message_id: str
    attempt: int


class ProduceReply(UseCase[ConversationsUnitOfWork]):
    def __init__(
        self,
        uow: UnitOfWorkFactory[ConversationsUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        assistant: Assistant,
        limits: ReplyLimits,
        prices: PriceTable,
        templates: EmailTemplates,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._assistant = assistant
        self._limits = limits
        self._prices = prices
        self._templates = templates

    def __call__(self, command: ProduceReplyCommand) -> MessageStatus | None:
        """The reply's status once this job is done, or None if it was not awaited."""
        request = self._request(command)
        if request is None:
            return None
        try:
            answer = self._assistant.reply(request)
        except AssistantUnavailableError as error:
            return self._fail(command, str(error))
        return self._complete(command, request.kind, answer)

    def _request(self, command: ProduceReplyCommand) -> AssistantRequest | None:
        with self._uow(command.organization_id) as uow:
            reply = uow.chat_messages.get(command.message_id)
            if reply is None or not reply.awaits(command.attempt):
                return None
            conversation = uow.conversations.get(reply.session_id)
            assert conversation is not None  # messages are never moved or deleted
            turns = tuple(
                Turn(m.role, m.content)
                for m in uow.chat_messages.list_for_session(conversation.id)
                if m.id < reply.id and m.status is MessageStatus.COMPLETED
            )
            return AssistantRequest(
                kind=conversation.kind,
                organization_id=command.organization_id,
                session_id=conversation.id,
                message_id=reply.id,
                attempt=reply.attempt,
                turns=turns,
                context=_context(uow, conversation)[:MAX_CONTEXT_CHARACTERS],
                max_cost_gbp=self._limits.max_cost_gbp,
            )

    def _complete(
        self, command: ProduceReplyCommand, kind: ConversationKind, answer: AssistantReply
    ) -> MessageStatus:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            # Session before reply, the order a retry takes them in, so the two never
            # wait on each other.
            found = uow.chat_messages.get(command.message_id)
            assert found is not None  # messages are never deleted
            conversation = uow.conversations.get_for_update(found.session_id)
            reply = uow.chat_messages.get_for_update(command.message_id)
            assert conversation is not None and reply is not None
            self._record_usage(uow, conversation, reply, command.attempt, kind, answer)
            if reply.awaits(command.attempt):
                reply.complete(answer.content, now)
                uow.chat_messages.update(reply)
                if answer.proposal is not None and kind is ConversationKind.ONBOARDING:
                    conversation.proposal = answer.proposal
                    uow.conversations.update(conversation)
            uow.commit()
            return reply.status

    def _record_usage(
        self,
        uow: ConversationsUnitOfWork,
        conversation: Conversation,
        reply: ChatMessage,
        attempt: int,
        kind: ConversationKind,
        answer: AssistantReply,
    ) -> None:
        now = self._clock.now()
        key = attempt_key(reply.id, attempt)
        rows = [
            TokenUsage(
                id=self._ids.new_id("usage"),
                organization_id=uow.organization_id,
                project_id=conversation.project_id,
                episode_id=conversation.episode_id,
                operation=OPERATIONS[kind],
                model=usage.model,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_gbp=self._cost(
                    usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_gbp
                ),
                created_at=now,
                run_id=key,
            )
            for usage in answer.usage
        ]
        if uow.token_usage.add_for_run(key, rows):
            settle_run_usage(uow, self._ids, self._templates, key, [r.cost_gbp for r in rows], now)

    def _cost(self, model: str, prompt: int, completion: int, reported: Decimal | None) -> Decimal:
        if reported is not None:
            return reported
        priced = self._prices.price(model, prompt, completion)
        if not priced.known_model:
            logger.warning(
                "assistant model %r is not in the price table; priced at the top rate", model
            )
        return priced.cost_gbp

    def _fail(self, command: ProduceReplyCommand, error: str) -> MessageStatus:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            reply = uow.chat_messages.get_for_update(command.message_id)
            assert reply is not None
            release_run_reservation(uow, attempt_key(reply.id, command.attempt), now)
            if reply.awaits(command.attempt):
                reply.fail(error, now)
                uow.chat_messages.update(reply)
            uow.commit()
            return reply.status


def _context(uow: ConversationsUnitOfWork, conversation: Conversation) -> str:
    """What the chat is about: the episode's title, summary and text, or else the
    project's title and brief. Onboarding has no context yet."""
    if conversation.episode_id is not None:
        episode = uow.episodes.get(conversation.episode_id)
        if episode is not None:
            blocks = uow.blocks.list_for_episode(episode.id)
            parts = [episode.title or "", episode.summary or "", *(b.content for b in blocks)]
            return "\n\n".join(part for part in parts if part)
    if conversation.project_id is not None:
        project = uow.projects.get(conversation.project_id)
        if project is not None:
            return f"{project.title}\n\n{project.onboarding_brief}"
    return ""
