"""The outbox in memory: the tenant-scoped repository and the dispatcher's gateway.

The gateway works on the shared store under its lock, as the Postgres functions work
on the table: each call is atomic, and what it returns are copies.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.outbox.model import NO_ATTEMPT_LEFT, OutboxMessage, OutboxStatus

OUTBOX = MemoryTable("outbox_messages")
TABLE = OUTBOX.name


class OutboxRepository:
    table: ClassVar[MemoryTable] = OUTBOX

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[OutboxMessage] = TableView(uow, self.table)

    def add(self, message: OutboxMessage) -> None:
        self._rows.insert(message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._rows.get(message_id)


class InMemoryOutboxGateway:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def claim_due(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[OutboxMessage]:
        with self._store.lock:
            rows = self._store.tables[TABLE]
            due = sorted(
                (m for m in rows.values() if m.is_due(now)), key=lambda m: (m.available_at, m.id)
            )
            exhausted = [m for m in due if m.attempts >= max_attempts][:batch_size]
            chosen = [m for m in due if m.attempts < max_attempts][:batch_size]
            for message in exhausted:
                dead = copy.deepcopy(message)
                dead.give_up(NO_ATTEMPT_LEFT, now)
                rows[dead.id] = dead
            claimed = []
            for message in chosen:
                leased = copy.deepcopy(message)
                leased.claim(now, lease)
                rows[leased.id] = leased
                claimed.append(copy.deepcopy(leased))
            return claimed

    def count_due(self, now: datetime, cap: int) -> int:
        with self._store.lock:
            due = sum(1 for m in self._store.tables[TABLE].values() if m.is_due(now))
            return min(cap, due)

    def mark_sent(self, message: OutboxMessage) -> bool:
        assert message.sent_at is not None, "mark the message sent first"
        with self._store.lock:
            stored = self._store.tables[TABLE].get(message.id)
            if stored is None or stored.status is not OutboxStatus.PENDING:
                return False
            stored = copy.deepcopy(stored)
            stored.mark_sent(message.sent_at)
            self._store.tables[TABLE][stored.id] = stored
            return True

    def record_failure(self, message: OutboxMessage) -> bool:
        with self._store.lock:
            stored = self._store.tables[TABLE].get(message.id)
            if (
                stored is None
                or stored.status is not OutboxStatus.PENDING
                or stored.attempts != message.attempts
            ):
                return False
            self._store.tables[TABLE][message.id] = copy.deepcopy(message)
            return True

    def dead_messages(self, limit: int, after_id: str | None = None) -> Sequence[OutboxMessage]:
        with self._store.lock:
            dead = [
                copy.deepcopy(m)
                for m in self._store.tables[TABLE].values()
                if m.status is OutboxStatus.DEAD and (after_id is None or m.id < after_id)
            ]
        dead.sort(key=lambda m: m.id, reverse=True)
        return dead[:limit]
