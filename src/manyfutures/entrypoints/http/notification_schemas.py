"""Request and response bodies of notifications and notification preferences.

Kept beside the routes that use them rather than in schemas.py: nothing else shares them.
Preferences are one object per kind, each with one boolean per channel, camelCase on
the wire (``{"episodeReady": {"email": false}}``); an unknown kind or channel is a 422.
"""

from __future__ import annotations

from typing import Any, TypeVar

from marshmallow import Schema, fields, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from manyfutures.core.notifications.model import (
    Channel,
    NotificationKind,
    NotificationPreferences,
    Switch,
)
from manyfutures.entrypoints.http.schemas import JsonBoolean, StrictSchema


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FieldT = TypeVar("FieldT", bound=fields.Field)  # type: ignore[type-arg]


def _out(field: FieldT) -> FieldT:
    """Response fields are always present (as schemas.py marks its own)."""
    field.required = True
    return field


KIND_KEYS = {kind: camel(kind.value) for kind in NotificationKind}
CHANNEL_KEYS = {channel: camel(channel.value) for channel in Channel}


class NotificationSchema(Schema):
    id = _out(fields.String())
    kind = _out(fields.String())
    title = _out(fields.String())
    body = _out(fields.String())
    link = _out(fields.String(allow_none=True))
    read_at = _out(fields.AwareDateTime(data_key="readAt", allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


class NotificationPageSchema(Schema):
    """A page, unread first (then read; newest first within each), and the unread count."""

    items = _out(fields.List(fields.Nested(NotificationSchema)))
    next_cursor = _out(
        fields.String(
            data_key="nextCursor",
            allow_none=True,
            metadata={"description": "Pass as ?cursor= for the next page; null at end."},
        )
    )
    unread_count = _out(
        fields.Integer(
            data_key="unreadCount",
            metadata={"description": "All of the caller's unread notifications, not the page's."},
        )
    )


class MarkedReadSchema(Schema):
    marked = _out(fields.Integer(metadata={"description": "How many were unread."}))


def _channels_schema(required: bool) -> type[Schema]:
    name = "ChannelSwitches" if required else "ChannelSwitchesPatch"
    attributes: dict[str, Any] = {}
    for channel, key in CHANNEL_KEYS.items():
        field = JsonBoolean(data_key=key, metadata={"description": f"Told by {channel.value}."})
        attributes[channel.value] = _out(field) if required else field
    return type(name, (StrictSchema,), attributes)


ChannelSwitchesSchema = _channels_schema(required=True)
ChannelSwitchesPatchSchema = _channels_schema(required=False)


class NotificationPreferencesSchema(Schema):
    """Every switch, on unless the caller turned it off. ``costAlerts`` reach admins only."""

    episode_ready = _out(fields.Nested(ChannelSwitchesSchema, data_key="episodeReady"))
    generation_failed = _out(fields.Nested(ChannelSwitchesSchema, data_key="generationFailed"))
    cost_alerts = _out(fields.Nested(ChannelSwitchesSchema, data_key="costAlerts"))


class NotificationPreferencesPatchSchema(StrictSchema):
    """Only the switches named change; at least one must be named."""

    episode_ready = fields.Nested(ChannelSwitchesPatchSchema, data_key="episodeReady")
    generation_failed = fields.Nested(ChannelSwitchesPatchSchema, data_key="generationFailed")
    cost_alerts = fields.Nested(ChannelSwitchesPatchSchema, data_key="costAlerts")

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        """At least one switch, and none of the kinds named without one (an empty kind
        is a client's slip, not a request to change nothing there)."""
        if not data:
            raise MarshmallowValidationError("name at least one switch to change", "_body")
        for field_name, channels in data.items():
            if not channels:
                key = self.fields[field_name].data_key or field_name
                raise MarshmallowValidationError("name at least one channel to change", key)


def preferences_body(preferences: NotificationPreferences) -> dict[str, Any]:
    return {
        kind.value: {channel.value: on for channel, on in channels.items()}
        for kind, channels in preferences.as_mapping().items()
    }


def switch_changes(body: dict[str, Any]) -> dict[Switch, bool]:
    return {
        (NotificationKind(kind), Channel(channel)): on
        for kind, channels in body.items()
        for channel, on in channels.items()
    }


class UnsubscribeSchema(Schema):
    kind = _out(fields.String(metadata={"enum": [kind.value for kind in NotificationKind]}))
    channel = _out(fields.String(metadata={"enum": [Channel.EMAIL.value]}))
    unsubscribed = _out(
        fields.Boolean(
            metadata={"description": "true once POSTed; a GET only says what a POST would stop."}
        )
    )
