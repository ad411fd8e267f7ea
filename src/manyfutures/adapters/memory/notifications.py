"""Readers' notification switches in memory, upserted as Postgres's ON CONFLICT does."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.notifications.model import PreferenceSetting

TABLE = "notification_preferences"


def _same_switch(a: PreferenceSetting, b: PreferenceSetting) -> bool:
    return (a.organization_id, a.user_id, a.kind, a.channel) == (
        b.organization_id,
        b.user_id,
        b.kind,
        b.channel,
    )


def _upsert(store: InMemoryStore, setting: PreferenceSetting) -> None:
    """The unique (organization, user, kind, channel) index with ON CONFLICT DO UPDATE: a
    setting committed meanwhile by another unit of work keeps its id and takes the values."""
    committed = store.tables[TABLE]
    existing = next((s for s in committed.values() if _same_switch(s, setting)), None)
    if existing is not None and existing.id != setting.id:
        setting = dataclasses.replace(setting, id=existing.id)
    committed[setting.id] = setting


NOTIFICATION_PREFERENCES = MemoryTable(TABLE, store_row=_upsert)


class NotificationPreferenceRepository:
    table: ClassVar[MemoryTable] = NOTIFICATION_PREFERENCES

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[PreferenceSetting] = TableView(uow, self.table)

    def list_for_user(self, user_id: str) -> Sequence[PreferenceSetting]:
        return sorted(
            (s for s in self._rows.rows() if s.user_id == user_id),
            key=lambda s: (s.kind, s.channel),
        )

    def save(self, setting: PreferenceSetting) -> None:
        existing = next((s for s in self._rows.rows() if _same_switch(s, setting)), None)
        if existing is not None:
            setting = dataclasses.replace(setting, id=existing.id)
        self._rows.put(setting)
