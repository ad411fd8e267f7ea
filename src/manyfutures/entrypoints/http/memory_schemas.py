"""Request and response schemas of the memory routes (schemas.py's conventions)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from manyfutures.core.feedback.memories import (
    DEFAULT_MEMORY_TYPE,
    MAX_MEMORY_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_TYPE_LENGTH,
    TYPE_PATTERN,
)
from manyfutures.entrypoints.http.schemas import FullMatch, JsonNumber, StrictSchema, _out


class MemoryCreateSchema(StrictSchema):
    content = fields.String(
        required=True,
        validate=validate.Length(1, MAX_MEMORY_LENGTH),
        metadata={
            "description": "What the writer should keep in mind, "
            f"1 to {MAX_MEMORY_LENGTH} characters."
        },
    )
    memory_type = fields.String(
        data_key="type",
        load_default=DEFAULT_MEMORY_TYPE,
        validate=[validate.Length(1, MAX_TYPE_LENGTH), FullMatch(f"^{TYPE_PATTERN.pattern}$")],
        metadata={
            "description": f"A lowercase word such as '{DEFAULT_MEMORY_TYPE}' (the default)."
        },
    )
    importance = JsonNumber(
        load_default=0.5,
        validate=validate.Range(0, 1),
        metadata={
            "description": "0 to 1 (default 0.5): the writer reads the most important first."
        },
    )
    expires_at = fields.AwareDateTime(
        data_key="expiresAt",
        load_default=None,
        allow_none=True,
        metadata={"description": "When the memory stops being shown; must be in the future."},
    )


class MemoryQuerySchema(StrictSchema):
    q = fields.String(
        load_default=None,
        validate=validate.Length(1, MAX_QUERY_LENGTH),
        metadata={"description": "Only memories whose content contains this, ignoring case."},
    )


class MemorySchema(Schema):
    id = _out(fields.String())
    project_id = _out(fields.String(data_key="projectId"))
    content = _out(fields.String())
    memory_type = _out(fields.String(data_key="type"))
    importance = _out(fields.Float())
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    expires_at = _out(fields.AwareDateTime(data_key="expiresAt", allow_none=True))


class MemoryListSchema(Schema):
    items = _out(fields.List(fields.Nested(MemorySchema)))
