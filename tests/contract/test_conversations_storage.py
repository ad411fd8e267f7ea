"""Assistant sessions and their messages, the same in memory and in PostgreSQL: an
onboarding session without a project, its proposal, replies completed in place, message
order, the row lock on a reply, and other organizations' rows out of sight."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from manyfutures.core.conversations.model import (
    ChatMessage,
    ChatRole,
    Conversation,
    ConversationKind,
    MessageStatus,
    Proposal,
)
from manyfutures.core.shared.errors import NotFoundError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support.builders import T0

GRACE = 0.3


def onboarding(session_id: str = "chat_1", org: str = "org_a") -> Conversation:
    return Conversation(
        id=session_id,
        organization_id=org,
        user_id="user_1",
        kind=ConversationKind.ONBOARDING,
        created_at=T0,
    )


def chat(session_id: str = "chat_2", org: str = "org_a") -> Conversation:
    return Conversation(
        id=session_id,
        organization_id=org,
        user_id="user_1",
        kind=ConversationKind.CHAT,
        project_id=f"proj_{org}",
        episode_id=f"ep_{org}",
        title="Grid",
        created_at=T0,
    )


def user_message(message_id: str, session_id: str, org: str = "org_a") -> ChatMessage:
    return ChatMessage(
        id=message_id,
        organization_id=org,
        session_id=session_id,
        role=ChatRole.USER,
        content="hello",
        created_at=T0,
    )


def test_sessions_of_both_kinds_round_trip(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.conversations.add(onboarding())
        uow.conversations.add(chat())
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.conversations.get("chat_1") == onboarding()
        assert uow.conversations.get("chat_2") == chat()
        assert uow.conversations.get("chat_missing") is None


def test_an_onboarding_session_keeps_its_proposal_and_completes_with_its_project(
    storage: Storage,
) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.conversations.add(onboarding())
        uow.commit()
    with storage.uow("org_a") as uow:
        session = uow.conversations.get_for_update("chat_1")
        assert session is not None
        session.proposal = Proposal("Ports", "Container shipping", "custom", (1, 3))
        session.complete_onboarding("proj_org_a", T0 + timedelta(minutes=5))
        uow.conversations.update(session)
        uow.commit()
    with storage.uow("org_a") as uow:
        stored = uow.conversations.get("chat_1")
        assert stored is not None
        assert stored.proposal == Proposal("Ports", "Container shipping", "custom", (1, 3))
        assert stored.project_id == "proj_org_a"
        assert stored.completed_at == T0 + timedelta(minutes=5)


def test_messages_list_oldest_first_and_a_reply_completes_in_place(storage: Storage) -> None:
    seed(storage)
    reply = ChatMessage.pending_reply("msg_2", "org_a", "chat_1", T0)
    with storage.uow("org_a") as uow:
        uow.conversations.add(onboarding())
        uow.chat_messages.add(reply)
        uow.chat_messages.add(user_message("msg_1", "chat_1"))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert [m.id for m in uow.chat_messages.list_for_session("chat_1")] == ["msg_1", "msg_2"]
        assert uow.chat_messages.get("msg_2") == reply
        locked = uow.chat_messages.get_for_update("msg_2")
        assert locked is not None
        locked.fail("timed out", T0 + timedelta(seconds=30))
        locked.retry(T0 + timedelta(seconds=40), timedelta(seconds=120))
        locked.complete("Here you are", T0 + timedelta(seconds=50))
        uow.chat_messages.update(locked)
        uow.commit()
    with storage.uow("org_a") as uow:
        stored = uow.chat_messages.get("msg_2")
        assert stored is not None
        assert (stored.status, stored.attempt, stored.content) == (
            MessageStatus.COMPLETED,
            2,
            "Here you are",
        )
        assert stored.requested_at == T0 + timedelta(seconds=40)
        assert stored.answered_at == T0 + timedelta(seconds=50)
        assert uow.chat_messages.list_for_session("chat_other") == []


def test_updating_a_missing_message_or_session_is_not_found(storage: Storage) -> None:
    seed(storage)
    with pytest.raises(NotFoundError), storage.uow("org_a") as uow:
        uow.chat_messages.update(user_message("msg_missing", "chat_1"))
        uow.commit()
    with pytest.raises(NotFoundError), storage.uow("org_a") as uow:
        uow.conversations.update(onboarding("chat_missing"))
        uow.commit()


def test_another_organizations_sessions_and_messages_are_out_of_sight(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_b") as uow:
        uow.conversations.add(chat("chat_b", "org_b"))
        uow.chat_messages.add(user_message("msg_b", "chat_b", "org_b"))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.conversations.get("chat_b") is None
        assert uow.conversations.get_for_update("chat_b") is None
        assert uow.chat_messages.get("msg_b") is None
        assert uow.chat_messages.get_for_update("msg_b") is None
        assert uow.chat_messages.list_for_session("chat_b") == []


def test_a_second_reader_of_a_locked_reply_waits_and_sees_what_the_first_wrote(
    storage: Storage,
) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.conversations.add(onboarding())
        uow.chat_messages.add(ChatMessage.pending_reply("msg_1", "org_a", "chat_1", T0))
        uow.commit()
    seen: list[MessageStatus] = []

    def second() -> None:
        with storage.uow("org_a") as uow:
            message = uow.chat_messages.get_for_update("msg_1")
            assert message is not None
            seen.append(message.status)

    with storage.uow("org_a") as first:
        message = first.chat_messages.get_for_update("msg_1")
        assert message is not None
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=GRACE)
        assert seen == []
        message.complete("done", T0)
        first.chat_messages.update(message)
        first.commit()
    other.join(timeout=10)
    assert seen == [MessageStatus.COMPLETED]
