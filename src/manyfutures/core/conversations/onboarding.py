"""Onboarding: a conversation that ends in a new project.

The session opens with the assistant's first question (a fixed text: nothing is spent
before the reader says anything). Each reply may carry a proposal (title, brief,
cadence); completing the session creates the project from it, with whatever the reader
edited, by the same rules as ``POST /v1/projects`` (the plan's active-project limit
included), and records ``onboarding_complete``, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.activity.event_types import ONBOARDING_COMPLETE
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.conversations.model import (
    ChatMessage,
    ChatRole,
    Conversation,
    ConversationKind,
    Proposal,
    Transcript,
)
from manyfutures.core.conversations.ports import ConversationsUnitOfWork
from manyfutures.core.conversations.sessions import load_own_session
from manyfutures.core.identity.plans import Plan
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.use_cases import CreateProjectCommand, create_project_in
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

OPENING_QUESTION = (
    "What would you like to follow? Tell me the topic, what you already know about it, "
    "and how often you would like a new episode."
)


class StartOnboarding(UseCase[ConversationsUnitOfWork]):
    def __call__(self, actor: Actor) -> Transcript:
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            conversation = Conversation(
                id=self._ids.new_id("chat"),
                organization_id=actor.organization_id,
                user_id=actor.user_id,
                kind=ConversationKind.ONBOARDING,
                created_at=now,
            )
            question = ChatMessage(
                id=self._ids.new_id("msg"),
                organization_id=actor.organization_id,
                session_id=conversation.id,
                role=ChatRole.ASSISTANT,
                content=OPENING_QUESTION,
                created_at=now,
            )
            uow.conversations.add(conversation)
            uow.chat_messages.add(question)
            Recorder(uow, self._ids, actor.user_id, now).audit(
                "onboarding.start", "chat_session", conversation.id
            )
            uow.commit()
            return Transcript(conversation, (question,))


@dataclass(frozen=True, slots=True)
class CompleteOnboardingCommand:
    """Fields left as ``None`` take the proposal's value; a cadence is edited whole (mode
    and days together)."""

    actor: Actor
    session_id: str
    title: str | None = None
    brief: str | None = None
    cadence_mode: str | None = None
    days: tuple[int, ...] | None = None
    delivery_time: str | None = None
    timezone: str | None = None


class CompleteOnboarding(UseCase[ConversationsUnitOfWork]):
    def __init__(
        self,
        uow: UnitOfWorkFactory[ConversationsUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        plan_defaults: Plan,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._plan_defaults = plan_defaults

    def __call__(self, command: CompleteOnboardingCommand) -> Project:
        actor = command.actor
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            conversation = load_own_session(
                uow, actor, ConversationKind.ONBOARDING, command.session_id, True
            )
            conversation.check_open()
            project = create_project_in(
                uow,
                self._ids,
                self._plan_defaults,
                project_command(command, conversation.proposal),
                now,
            )
            conversation.complete_onboarding(project.id, now)
            uow.conversations.update(conversation)
            record = Recorder(uow, self._ids, actor.user_id, now)
            record.event(
                ONBOARDING_COMPLETE, {"sessionId": conversation.id, "projectId": project.id}
            )
            record.audit(
                "onboarding.complete",
                "chat_session",
                conversation.id,
                new={"projectId": project.id},
            )
            uow.commit()
            return project


def project_command(
    command: CompleteOnboardingCommand, proposal: Proposal | None
) -> CreateProjectCommand:
    """The reader's edits over the proposal; without a proposal the reader must give a title
    and a brief (the project's own validation says so, field by field)."""
    base = proposal or Proposal(title="", brief="")
    mode, days = (
        (base.cadence_mode, base.days)
        if command.cadence_mode is None
        else (command.cadence_mode, command.days or ())
    )
    return CreateProjectCommand(
        actor=command.actor,
        title=base.title if command.title is None else command.title,
        brief=base.brief if command.brief is None else command.brief,
        cadence_mode=mode,
        days=days,
        delivery_time=command.delivery_time,
        timezone=command.timezone,
    )
