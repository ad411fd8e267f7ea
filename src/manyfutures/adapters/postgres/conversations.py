"""Conversations in PostgreSQL: assistant sessions (``chat_sessions``, onboarding ones
included) and their messages (``chat_messages``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, bindparam, select, text
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    table_of,
    tenant_fk,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.conversations import ports
from manyfutures.core.conversations.model import (
    ChatMessage,
    ChatRole,
    Conversation,
    ConversationKind,
    MessageStatus,
    Proposal,
)
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class ChatSessionRow(Base):
    """``project_id`` is empty while an onboarding session has not created its project.
    ``proposal`` is onboarding's latest suggestion: ``{"title", "brief", "cadenceMode",
    "days"}``."""

    __tablename__ = "chat_sessions"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    project_id: Mapped[str | None] = mapped_column(ID_TYPE)
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    title: Mapped[str | None]
    created_at: Mapped[Timestamp]
    kind: Mapped[str] = mapped_column(server_default=text("'chat'"))
    proposal: Mapped[dict[str, Any] | None]
    completed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_chat_sessions_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        Index(
            "ix_chat_sessions_organization_id_episode_id",
            "organization_id",
            "episode_id",
            postgresql_where=text("episode_id IS NOT NULL"),
        ),
        one_of("kind", ConversationKind),
        CheckConstraint("kind = 'onboarding' OR project_id IS NOT NULL", name="chat_has_project"),
    )


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    session_id: Mapped[Id]
    role: Mapped[str]
    content: Mapped[str]
    created_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(server_default=text("'completed'"))
    attempt: Mapped[int] = mapped_column(server_default=text("1"))
    error: Mapped[str | None]
    requested_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("session_id", "chat_sessions"),
        Index(
            "ix_chat_messages_organization_id_session_id_id",
            "organization_id",
            "session_id",
            "id",
        ),
        one_of("role", ChatRole),
        one_of("status", MessageStatus),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )


# --- statements ---------------------------------------------------------------------------

_sessions = table_of(ChatSessionRow)
CHAT_SESSION = select(_sessions).where(
    _sessions.c.organization_id == ORG, _sessions.c.id == bindparam("id")
)
CHAT_SESSION_FOR_UPDATE = CHAT_SESSION.with_for_update()

_messages = table_of(ChatMessageRow)
CHAT_MESSAGE = select(_messages).where(
    _messages.c.organization_id == ORG, _messages.c.id == bindparam("id")
)
CHAT_MESSAGE_FOR_UPDATE = CHAT_MESSAGE.with_for_update()
CHAT_MESSAGES_FOR_SESSION = (
    select(_messages)
    .where(_messages.c.organization_id == ORG, _messages.c.session_id == bindparam("session_id"))
    .order_by(_messages.c.id)
)


# --- mappers ------------------------------------------------------------------------------


def _proposal_to_json(proposal: Proposal | None) -> dict[str, Any] | None:
    if proposal is None:
        return None
    return {
        "title": proposal.title,
        "brief": proposal.brief,
        "cadenceMode": proposal.cadence_mode,
        "days": list(proposal.days),
    }


def _proposal_from_json(data: dict[str, Any] | None) -> Proposal | None:
    if data is None:
        return None
    return Proposal(
        title=data["title"],
        brief=data["brief"],
        cadence_mode=data["cadenceMode"],
        days=tuple(data["days"]),
    )


def conversation_to_row(c: Conversation) -> ChatSessionRow:
    return ChatSessionRow(
        id=c.id,
        organization_id=c.organization_id,
        user_id=c.user_id,
        project_id=c.project_id,
        episode_id=c.episode_id,
        title=c.title,
        created_at=c.created_at,
        kind=c.kind.value,
        proposal=_proposal_to_json(c.proposal),
        completed_at=c.completed_at,
    )


def conversation_from_row(r: ChatSessionRow) -> Conversation:
    return Conversation(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        kind=ConversationKind(r.kind),
        project_id=r.project_id,
        episode_id=r.episode_id,
        title=r.title,
        proposal=_proposal_from_json(r.proposal),
        created_at=r.created_at,
        completed_at=r.completed_at,
    )


def message_to_row(m: ChatMessage) -> ChatMessageRow:
    return ChatMessageRow(
        id=m.id,
        organization_id=m.organization_id,
        session_id=m.session_id,
        role=m.role.value,
        content=m.content,
        created_at=m.created_at,
        status=m.status.value,
        attempt=m.attempt,
        error=m.error,
        requested_at=m.requested_at,
        answered_at=m.answered_at,
    )


def message_from_row(r: ChatMessageRow) -> ChatMessage:
    return ChatMessage(
        id=r.id,
        organization_id=r.organization_id,
        session_id=r.session_id,
        role=ChatRole(r.role),
        content=r.content,
        status=MessageStatus(r.status),
        attempt=r.attempt,
        error=r.error,
        created_at=r.created_at,
        requested_at=r.requested_at,
        answered_at=r.answered_at,
    )


# --- repositories -------------------------------------------------------------------------


class ConversationRepository(Repository, ports.ConversationRepository):
    def add(self, conversation: Conversation) -> None:
        self._uow.insert(conversation_to_row(conversation))

    def get(self, conversation_id: str) -> Conversation | None:
        return self._uow.first(CHAT_SESSION, conversation_from_row, id=conversation_id)

    def get_for_update(self, conversation_id: str) -> Conversation | None:
        return self._uow.first(CHAT_SESSION_FOR_UPDATE, conversation_from_row, id=conversation_id)

    def update(self, conversation: Conversation) -> None:
        self._update(
            conversation_to_row(conversation),
            on_missing=lambda _: NotFoundError("session", conversation.id),
        )


class ChatMessageRepository(Repository, ports.ChatMessageRepository):
    def add(self, message: ChatMessage) -> None:
        self._uow.insert(message_to_row(message))

    def get(self, message_id: str) -> ChatMessage | None:
        return self._uow.first(CHAT_MESSAGE, message_from_row, id=message_id)

    def get_for_update(self, message_id: str) -> ChatMessage | None:
        return self._uow.first(CHAT_MESSAGE_FOR_UPDATE, message_from_row, id=message_id)

    def update(self, message: ChatMessage) -> None:
        self._update(
            message_to_row(message),
            on_missing=lambda _: NotFoundError("message", message.id),
        )

    def list_for_session(self, session_id: str) -> Sequence[ChatMessage]:
        rows = self._uow.rows(CHAT_MESSAGES_FOR_SESSION, session_id=session_id)
        return [message_from_row(r) for r in rows]
