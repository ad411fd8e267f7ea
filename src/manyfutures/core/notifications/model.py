"""What a reader chose to be told, per kind of news and per channel.

Everything is on until switched off: a reader who never opened their settings hears
about every episode, failure and (as an admin) cost alert, in the app and by email.
Only the switches a reader flipped are stored, one ``PreferenceSetting`` per kind and
channel, so two changes to different switches never overwrite each other.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


class NotificationKind(enum.StrEnum):
    """The news a reader can switch off (other in-app notices are always shown)."""

    EPISODE_READY = "episode_ready"
    GENERATION_FAILED = "generation_failed"
    COST_ALERTS = "cost_alerts"
    """To admins only: the organization's AI spend nears or reached its daily limit."""


class Channel(enum.StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"


Switch = tuple[NotificationKind, Channel]
SWITCHES: tuple[Switch, ...] = tuple(
    (kind, channel) for kind in NotificationKind for channel in Channel
)


@dataclass(slots=True, kw_only=True)
class PreferenceSetting:
    """One switch a reader flipped (on or off), in one organization."""

    id: str
    organization_id: str
    user_id: str
    kind: NotificationKind
    channel: Channel
    enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """Every switch of one reader: the stored ones, and on for the rest."""

    user_id: str
    switched_off: frozenset[Switch]

    @classmethod
    def of(cls, user_id: str, settings: Iterable[PreferenceSetting]) -> NotificationPreferences:
        return cls(user_id, frozenset((s.kind, s.channel) for s in settings if not s.enabled))

    def allows(self, kind: NotificationKind, channel: Channel) -> bool:
        return (kind, channel) not in self.switched_off

    def as_mapping(self) -> dict[NotificationKind, dict[Channel, bool]]:
        return {
            kind: {channel: self.allows(kind, channel) for channel in Channel}
            for kind in NotificationKind
        }

    def changed_by(self, changes: Mapping[Switch, bool]) -> dict[Switch, bool]:
        """Only the switches that ``changes`` moves: nothing to store, or audit, otherwise."""
        return {switch: on for switch, on in changes.items() if self.allows(*switch) != on}

    def with_changes(self, changes: Mapping[Switch, bool]) -> NotificationPreferences:
        off = set(self.switched_off)
        for switch, on in changes.items():
            if on:
                off.discard(switch)
            else:
                off.add(switch)
        return NotificationPreferences(self.user_id, frozenset(off))
