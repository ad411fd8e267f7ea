"""Assistant sessions and their messages in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.conversations.model import ChatMessage, Conversation

CHAT_SESSIONS = MemoryTable("chat_sessions")
CHAT_MESSAGES = MemoryTable("chat_messages")


class ConversationRepository:
    table: ClassVar[MemoryTable] = CHAT_SESSIONS

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[Conversation] = TableView(uow, self.table)

    def add(self, conversation: Conversation) -> None:
        self._rows.insert(conversation)

    def get(self, conversation_id: str) -> Conversation | None:
        return self._rows.get(conversation_id)

    def get_for_update(self, conversation_id: str) -> Conversation | None:
        self._uow.lock_row(self.table.name, conversation_id)
        return self.get(conversation_id)

    def update(self, conversation: Conversation) -> None:
        self._rows.update(conversation)


class ChatMessageRepository:
    table: ClassVar[MemoryTable] = CHAT_MESSAGES

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[ChatMessage] = TableView(uow, self.table)

    def add(self, message: ChatMessage) -> None:
        self._rows.insert(message)

    def get(self, message_id: str) -> ChatMessage | None:
        return self._rows.get(message_id)

    def get_for_update(self, message_id: str) -> ChatMessage | None:
        self._uow.lock_row(self.table.name, message_id)
        return self.get(message_id)

    def update(self, message: ChatMessage) -> None:
        self._rows.update(message)

    def list_for_session(self, session_id: str) -> Sequence[ChatMessage]:
        return sorted(
            (m for m in self._rows.rows() if m.session_id == session_id), key=lambda m: m.id
        )
