"""Sessions and their messages, and the rules of an assistant reply's life.

A reply is stored as a *pending* assistant message the moment the user's message is
accepted; a job then completes it or marks it failed. ``attempt`` counts the tries: each
one reserves on the cost gate under its own key (``reservation_key``), so a retry is a
new reservation and the ledger records each try's usage once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from manyfutures.core.shared.errors import StateConflictError, ValidationError

MAX_MESSAGE_LENGTH = 4_000
MAX_ERROR_LENGTH = 500


def attempt_key(message_id: str, attempt: int) -> str:
    """The cost gate's key for one attempt at a reply: one reservation, one usage report."""
    return f"{message_id}.{attempt}"


class ConversationKind(enum.StrEnum):
    ONBOARDING = "onboarding"
    CHAT = "chat"


class ChatRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


def validate_message(content: str) -> str:
    """Surrounding whitespace is dropped; what is left must be 1 to 4 000 characters."""
    cleaned = content.strip() if isinstance(content, str) else ""
    if not cleaned:
        raise ValidationError.for_field("content", "a message must not be empty")
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise ValidationError.for_field(
            "content", f"a message must be at most {MAX_MESSAGE_LENGTH} characters"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class Proposal:
    """What onboarding suggests the new project be; the reader may edit it on completion."""

    title: str
    brief: str
    cadence_mode: str = "weekly"
    days: tuple[int, ...] = (1,)


@dataclass(slots=True, kw_only=True)
class Conversation:
    """One user's session: onboarding (no project until it completes) or chat on a
    project, optionally about one of its episodes."""

    id: str
    organization_id: str
    user_id: str
    kind: ConversationKind
    project_id: str | None = None
    episode_id: str | None = None
    title: str | None = None
    proposal: Proposal | None = None
    created_at: datetime
    completed_at: datetime | None = None

    def check_open(self) -> None:
        if self.completed_at is not None:
            raise StateConflictError(f"session {self.id} is already completed")

    def complete_onboarding(self, project_id: str, now: datetime) -> None:
        self.check_open()
        self.project_id = project_id
        self.completed_at = now


@dataclass(slots=True, kw_only=True)
class ChatMessage:
    id: str
    organization_id: str
    session_id: str
    role: ChatRole
    content: str
    status: MessageStatus = MessageStatus.COMPLETED
    attempt: int = 1
    error: str | None = None
    created_at: datetime
    # When the reply's current attempt was asked for, and when it ended.
    requested_at: datetime | None = None
    answered_at: datetime | None = None

    @classmethod
    def pending_reply(
        cls, message_id: str, organization_id: str, session_id: str, now: datetime
    ) -> ChatMessage:
        return cls(
            id=message_id,
            organization_id=organization_id,
            session_id=session_id,
            role=ChatRole.ASSISTANT,
            content="",
            status=MessageStatus.PENDING,
            created_at=now,
            requested_at=now,
        )

    @property
    def reservation_key(self) -> str:
        return attempt_key(self.id, self.attempt)

    def awaits(self, attempt: int) -> bool:
        """Whether a job for ``attempt`` may still finish this message."""
        return self.status is MessageStatus.PENDING and self.attempt == attempt

    def complete(self, content: str, now: datetime) -> None:
        self.content = content
        self.status = MessageStatus.COMPLETED
        self.error = None
        self.answered_at = now

    def fail(self, error: str, now: datetime) -> None:
        self.status = MessageStatus.FAILED
        self.error = error[:MAX_ERROR_LENGTH]
        self.answered_at = now

    def retryable(self, now: datetime, deadline: timedelta) -> bool:
        """A failed reply, or one still pending past the deadline (its job was lost)."""
        if self.role is not ChatRole.ASSISTANT:
            return False
        if self.status is MessageStatus.FAILED:
            return True
        return (
            self.status is MessageStatus.PENDING
            and self.requested_at is not None
            and now - self.requested_at >= deadline
        )

    def retry(self, now: datetime, deadline: timedelta) -> None:
        if not self.retryable(now, deadline):
            raise StateConflictError(
                f"message {self.id} is {self.status.value}; only a failed reply, or one "
                "pending past its deadline, can be retried"
            )
        self.attempt += 1
        self.status = MessageStatus.PENDING
        self.error = None
        self.requested_at = now
        self.answered_at = None


@dataclass(frozen=True, slots=True)
class Transcript:
    """A session with its messages, oldest first: what the client polls."""

    conversation: Conversation
    messages: tuple[ChatMessage, ...] = field(default_factory=tuple)
