"""Request and response bodies of the assistant's routes (onboarding and chat), camelCase
on the wire like schemas.py, whose shared pieces (strictness, the cadence) they reuse."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from manyfutures.core.conversations.model import (
    MAX_MESSAGE_LENGTH,
    ChatRole,
    ConversationKind,
    MessageStatus,
    Transcript,
)
from manyfutures.core.conversations.sessions import PostedMessage
from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.projects.model import MAX_BRIEF_LENGTH, MAX_TITLE_LENGTH
from manyfutures.entrypoints.http.schemas import (
    ID_PATTERN,
    TIME_PATTERN,
    CadenceSchema,
    FullMatch,
    StrictSchema,
)


def _out(field: fields.Field) -> fields.Field:  # type: ignore[type-arg]
    field.required = True
    return field


class MessageCreateSchema(StrictSchema):
    content = fields.String(
        required=True,
        validate=validate.Length(1, MAX_MESSAGE_LENGTH),
        metadata={"description": f"1 to {MAX_MESSAGE_LENGTH} characters, not only whitespace."},
    )


class ChatSessionCreateSchema(StrictSchema):
    project_id = fields.String(data_key="projectId", required=True, validate=FullMatch(ID_PATTERN))
    episode_id = fields.String(
        data_key="episodeId",
        validate=FullMatch(ID_PATTERN),
        metadata={
            "description": "Chat about this episode of the project (its text is the context)."
        },
    )


class OnboardingCompleteSchema(StrictSchema):
    """Every field is optional: what is left out comes from the assistant's proposal."""

    title = fields.String(validate=validate.Length(1, MAX_TITLE_LENGTH))
    brief = fields.String(validate=validate.Length(1, MAX_BRIEF_LENGTH))
    cadence = fields.Nested(CadenceSchema)
    delivery_time = fields.String(data_key="deliveryTime", validate=FullMatch(TIME_PATTERN))
    timezone = fields.String(validate=validate.Length(1, 64))


class MessageSchema(Schema):
    id = _out(fields.String())
    role = _out(fields.Enum(ChatRole, by_value=True))
    content = _out(fields.String(metadata={"description": "Empty while a reply is pending."}))
    status = _out(
        fields.Enum(
            MessageStatus,
            by_value=True,
            metadata={"description": "A reply is pending until its job completes or fails it."},
        )
    )
    attempt = _out(fields.Integer())
    error = _out(fields.String(allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    answered_at = _out(fields.AwareDateTime(data_key="answeredAt", allow_none=True))


class ProposalCadenceSchema(Schema):
    mode = _out(
        fields.String(
            metadata={
                "description": "As the assistant proposed it: "
                + ", ".join(mode.value for mode in CadenceMode)
                + " (checked when the project is created)."
            }
        )
    )
    days = _out(fields.List(fields.Integer()))


class ProposalSchema(Schema):
    title = _out(fields.String())
    brief = _out(fields.String())
    cadence = _out(fields.Nested(ProposalCadenceSchema))

    @pre_dump
    def _cadence(self, proposal: Any, **_: Any) -> dict[str, Any]:
        return {
            "title": proposal.title,
            "brief": proposal.brief,
            "cadence": {"mode": proposal.cadence_mode, "days": list(proposal.days)},
        }


class SessionSchema(Schema):
    id = _out(fields.String())
    kind = _out(fields.Enum(ConversationKind, by_value=True))
    project_id = _out(fields.String(data_key="projectId", allow_none=True))
    episode_id = _out(fields.String(data_key="episodeId", allow_none=True))
    title = _out(fields.String(allow_none=True))
    proposal = _out(fields.Nested(ProposalSchema, allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    completed_at = _out(fields.AwareDateTime(data_key="completedAt", allow_none=True))
    messages = _out(fields.List(fields.Nested(MessageSchema)))

    @pre_dump
    def _flatten(self, transcript: Transcript, **_: Any) -> dict[str, Any]:
        c = transcript.conversation
        return {
            "id": c.id,
            "kind": c.kind,
            "project_id": c.project_id,
            "episode_id": c.episode_id,
            "title": c.title,
            "proposal": c.proposal,
            "created_at": c.created_at,
            "completed_at": c.completed_at,
            "messages": list(transcript.messages),
        }


class PostedMessageSchema(Schema):
    message = _out(fields.Nested(MessageSchema))
    reply = _out(
        fields.Nested(MessageSchema, metadata={"description": "Pending: poll the session."})
    )

    @pre_dump
    def _pair(self, posted: PostedMessage, **_: Any) -> dict[str, Any]:
        return {"message": posted.message, "reply": posted.reply}
