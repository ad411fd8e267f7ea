"""A user's sessions with the assistant: starting a chat, posting a message, retrying a
failed reply, and reading the transcript the client polls.

A session is its creator's: another user of the organization gets 404, like another
organization. Chat is a feature an admin switches on (``chat``); onboarding is not.
Posting answers at once with the user's message and a pending reply: the reply is
produced by a job, asked for only after the commit that stored both (ADR 0017).
"""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.conversations.model import (
    ChatMessage,
    ChatRole,
    Conversation,
    ConversationKind,
    MessageStatus,
    Transcript,
    validate_message,
)
from manyfutures.core.conversations.ports import ConversationsUnitOfWork, ReplyJobs
from manyfutures.core.conversations.spending import ReplyLimits, reserve_reply
from manyfutures.core.generation.spending import release_run_reservation
from manyfutures.core.identity.features import require_feature
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, StateConflictError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

CHAT_FEATURE = "chat"
SESSION_KINDS = {
    ConversationKind.ONBOARDING: "onboarding session",
    ConversationKind.CHAT: "chat session",
}


def load_own_session(
    uow: ConversationsUnitOfWork,
    actor: Actor,
    kind: ConversationKind,
    session_id: str,
    locked: bool = False,
) -> Conversation:
    """The actor's own session of that kind; chat only while the feature is on."""
    if kind is ConversationKind.CHAT:
        require_feature(uow.organizations.get(), CHAT_FEATURE)
    found = (
        uow.conversations.get_for_update(session_id)
        if locked
        else uow.conversations.get(session_id)
    )
    if found is None or found.kind is not kind or found.user_id != actor.user_id:
        raise NotFoundError(SESSION_KINDS[kind], session_id)
    return found


def transcript(uow: ConversationsUnitOfWork, conversation: Conversation) -> Transcript:
    return Transcript(conversation, tuple(uow.chat_messages.list_for_session(conversation.id)))


@dataclass(frozen=True, slots=True)
class SessionQuery:
    actor: Actor
    kind: ConversationKind
    session_id: str


class GetTranscript(UseCase[ConversationsUnitOfWork]):
    def __call__(self, query: SessionQuery) -> Transcript:
        with self._uow(query.actor.organization_id) as uow:
            conversation = load_own_session(uow, query.actor, query.kind, query.session_id)
            return transcript(uow, conversation)


@dataclass(frozen=True, slots=True)
class StartChatCommand:
    actor: Actor
    project_id: str
    episode_id: str | None = None


class StartChat(UseCase[ConversationsUnitOfWork]):
    """A chat about a project, or about one of its episodes (whose text the assistant reads)."""

    def __call__(self, command: StartChatCommand) -> Transcript:
        actor = command.actor
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            require_feature(uow.organizations.get(), CHAT_FEATURE)
            project = load_project(uow, command.project_id)
            if command.episode_id is not None:
                episode = uow.episodes.get(command.episode_id)
                if episode is None or episode.project_id != project.id:
                    raise NotFoundError("episode", command.episode_id)
            conversation = Conversation(
                id=self._ids.new_id("chat"),
                organization_id=actor.organization_id,
                user_id=actor.user_id,
                kind=ConversationKind.CHAT,
                project_id=project.id,
                episode_id=command.episode_id,
                title=project.title,
                created_at=now,
            )
            uow.conversations.add(conversation)
            Recorder(uow, self._ids, actor.user_id, now).audit(
                "chat_session.create", "chat_session", conversation.id
            )
            uow.commit()
            return Transcript(conversation)


class _Replying(UseCase[ConversationsUnitOfWork]):
    """A use case that queues a reply: it reserves the reply's cost, and hands the reply to
    a job once its unit of work has committed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ConversationsUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        jobs: ReplyJobs,
        limits: ReplyLimits,
        templates: EmailTemplates,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._jobs = jobs
        self._limits = limits
        self._templates = templates


@dataclass(frozen=True, slots=True)
class PostMessageCommand:
    actor: Actor
    kind: ConversationKind
    session_id: str
    content: str


@dataclass(frozen=True, slots=True)
class PostedMessage:
    message: ChatMessage
    reply: ChatMessage


class PostMessage(_Replying):
    """Store the user's message and a pending reply, one reply at a time per session."""

    def __call__(self, command: PostMessageCommand) -> PostedMessage:
        actor = command.actor
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            conversation = load_own_session(uow, actor, command.kind, command.session_id, True)
            conversation.check_open()
            content = validate_message(command.content)
            if any(
                m.status is MessageStatus.PENDING for m in transcript(uow, conversation).messages
            ):
                raise StateConflictError(
                    "the assistant is still answering the previous message; "
                    "poll the session until its reply is completed or failed"
                )
            record = Recorder(uow, self._ids, actor.user_id, now)
            message = ChatMessage(
                id=self._ids.new_id("msg"),
                organization_id=actor.organization_id,
                session_id=conversation.id,
                role=ChatRole.USER,
                content=content,
                created_at=now,
            )
            reply = ChatMessage.pending_reply(
                self._ids.new_id("msg"), actor.organization_id, conversation.id, now
            )
            reserve_reply(
                uow, self._ids, self._templates, record, command.kind, reply, self._limits, now
            )
            uow.chat_messages.add(message)
            uow.chat_messages.add(reply)
            record.audit("chat_message.create", "chat_message", message.id)
            uow.commit()
        self._jobs.request(actor.organization_id, reply.id, reply.attempt)
        return PostedMessage(message, reply)


@dataclass(frozen=True, slots=True)
class RetryReplyCommand:
    actor: Actor
    kind: ConversationKind
    session_id: str
    message_id: str


class RetryReply(_Replying):
    """Ask again for a reply that failed, or that stayed pending past its deadline (its
    job was lost); the lost attempt's reservation is given back first."""

    def __call__(self, command: RetryReplyCommand) -> ChatMessage:
        actor = command.actor
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            conversation = load_own_session(uow, actor, command.kind, command.session_id, True)
            conversation.check_open()
            reply = uow.chat_messages.get_for_update(command.message_id)
            if reply is None or reply.session_id != conversation.id:
                raise NotFoundError("message", command.message_id)
            lost_attempt = reply.reservation_key
            reply.retry(now, self._limits.deadline)
            release_run_reservation(uow, lost_attempt, now)
            record = Recorder(uow, self._ids, actor.user_id, now)
            reserve_reply(
                uow, self._ids, self._templates, record, command.kind, reply, self._limits, now
            )
            uow.chat_messages.update(reply)
            record.audit(
                "chat_message.retry", "chat_message", reply.id, new={"attempt": reply.attempt}
            )
            uow.commit()
        self._jobs.request(actor.organization_id, reply.id, reply.attempt)
        return reply
