"""Readers' notification switches in PostgreSQL: one row per user, kind and channel flipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Index, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    Base,
    Id,
    Timestamp,
    column_values,
    one_of,
    org_fk,
    table_of,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.notifications import ports
from manyfutures.core.notifications.model import Channel, NotificationKind, PreferenceSetting

# --- rows ---------------------------------------------------------------------------------


class NotificationPreferenceRow(Base):
    __tablename__ = "notification_preferences"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    kind: Mapped[str]
    channel: Mapped[str]
    enabled: Mapped[bool]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        # Leads with the tenant; the upsert's conflict target, and the reader's lookup.
        Index(
            "uq_notification_preferences_switch",
            "organization_id",
            "user_id",
            "kind",
            "channel",
            unique=True,
        ),
        one_of("kind", NotificationKind),
        one_of("channel", Channel),
    )


# --- statements ---------------------------------------------------------------------------

_settings = table_of(NotificationPreferenceRow)
SETTINGS_FOR_USER = (
    select(_settings)
    .where(_settings.c.organization_id == ORG, _settings.c.user_id == bindparam("user_id"))
    .order_by(_settings.c.kind, _settings.c.channel)
)
_insert = insert(_settings)
SAVE_SETTING = _insert.on_conflict_do_update(
    index_elements=[
        _settings.c.organization_id,
        _settings.c.user_id,
        _settings.c.kind,
        _settings.c.channel,
    ],
    set_={"enabled": _insert.excluded.enabled, "updated_at": _insert.excluded.updated_at},
)


# --- mappers ------------------------------------------------------------------------------


def setting_to_row(s: PreferenceSetting) -> NotificationPreferenceRow:
    return NotificationPreferenceRow(
        id=s.id,
        organization_id=s.organization_id,
        user_id=s.user_id,
        kind=s.kind.value,
        channel=s.channel.value,
        enabled=s.enabled,
        updated_at=s.updated_at,
    )


def setting_from_row(r: Any) -> PreferenceSetting:
    return PreferenceSetting(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        kind=NotificationKind(r.kind),
        channel=Channel(r.channel),
        enabled=r.enabled,
        updated_at=r.updated_at,
    )


# --- repositories -------------------------------------------------------------------------


class NotificationPreferenceRepository(Repository, ports.NotificationPreferenceRepository):
    def list_for_user(self, user_id: str) -> Sequence[PreferenceSetting]:
        return [setting_from_row(r) for r in self._uow.rows(SETTINGS_FOR_USER, user_id=user_id)]

    def save(self, setting: PreferenceSetting) -> None:
        values = column_values(setting_to_row(setting))
        self._uow.check_tenant(_settings, values)

        def run(connection: Connection) -> None:
            connection.execute(SAVE_SETTING, values)

        self._uow.later(run)
