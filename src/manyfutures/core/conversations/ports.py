"""The conversations' ports: their storage, the assistant, and the jobs that ask it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from manyfutures.core.conversations.model import (
    ChatMessage,
    ChatRole,
    Conversation,
    ConversationKind,
    Proposal,
)
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Turn:
    role: ChatRole
    content: str


@dataclass(frozen=True, slots=True)
class AssistantRequest:
    """One reply to produce: the conversation so far, ending with the user's message, and
    what it is about (an episode's text, a project's brief; empty for onboarding)."""

    kind: ConversationKind
    organization_id: str
    session_id: str
    message_id: str
    attempt: int
    turns: tuple[Turn, ...]
    context: str
    max_cost_gbp: Decimal


@dataclass(frozen=True, slots=True)
class ReplyUsage:
    """One model call behind a reply; a cost left out is priced from the price table."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_gbp: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AssistantReply:
    content: str
    usage: tuple[ReplyUsage, ...] = ()
    # Onboarding's suggestion for the project, once the assistant has one.
    proposal: Proposal | None = None


class AssistantUnavailableError(Exception):
    """The assistant did not answer usably: unreachable, too slow, or a malformed answer.
    The message is safe to show the reader (no URL, no credential)."""


class Assistant(Protocol):
    def reply(self, request: AssistantRequest) -> AssistantReply:
        """Answer within the adapter's timeout or raise AssistantUnavailableError."""
        ...


class ReplyJobs(Protocol):
    def request(self, organization_id: str, message_id: str, attempt: int) -> None:
        """Have a worker produce that attempt's reply; called after the commit that stored it."""
        ...


class ConversationRepository(Protocol):
    def add(self, conversation: Conversation) -> None: ...
    def get(self, conversation_id: str) -> Conversation | None: ...
    def get_for_update(self, conversation_id: str) -> Conversation | None:
        """Like ``get``, holding the session until the unit of work ends."""
        ...

    def update(self, conversation: Conversation) -> None: ...


class ChatMessageRepository(Protocol):
    def add(self, message: ChatMessage) -> None: ...
    def get(self, message_id: str) -> ChatMessage | None: ...
    def get_for_update(self, message_id: str) -> ChatMessage | None:
        """Like ``get``, holding the message until the unit of work ends: of a job finishing
        a reply and a retry starting another attempt, the second sees what the first did."""
        ...

    def update(self, message: ChatMessage) -> None: ...
    def list_for_session(self, session_id: str) -> Sequence[ChatMessage]:
        """Oldest first (ids are time-sortable)."""
        ...


class ConversationStore(UnitOfWork, Protocol):
    """An organization's assistant sessions and their messages."""

    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def chat_messages(self) -> ChatMessageRepository: ...


class ConversationsUnitOfWork(ConversationStore, GenerationUnitOfWork, Protocol):
    """A reply spends through the cost gate (generation's spending rules), reads an
    episode for context, and onboarding ends by creating a project (generation's unit of
    work already holds every store the projects' use cases need)."""
