"""Marshmallow schemas for request and response bodies: camelCase on the wire."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from manyfutures.core.projects.use_cases import MAX_PAGE_SIZE


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class CadenceSchema(StrictSchema):
    mode = fields.String(required=True)
    days = fields.List(fields.Integer(), load_default=list)


class ProjectSchema(StrictSchema):
    id = fields.String()
    title = fields.String()
    brief = fields.String(attribute="onboarding_brief")
    status = fields.Function(lambda p: p.status.value)
    cadence = fields.Function(
        lambda p: {"mode": p.cadence.mode.value, "days": list(p.cadence.days)}
    )
    delivery_time = fields.Function(
        lambda p: p.cadence.delivery_time.strftime("%H:%M"), data_key="deliveryTime"
    )
    timezone = fields.Function(lambda p: p.cadence.timezone)
    next_scheduled_at = fields.AwareDateTime(data_key="nextScheduledAt", allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime(data_key="createdAt")
    updated_at = fields.AwareDateTime(data_key="updatedAt")


class SourceSchema(StrictSchema):
    title = fields.String()
    url = fields.String()


class EpisodeSchema(StrictSchema):
    id = fields.String()
    project_id = fields.String(data_key="projectId")
    status = fields.Function(lambda e: e.status.value)
    title = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    scheduled_for = fields.AwareDateTime(data_key="scheduledFor")
    published_at = fields.AwareDateTime(data_key="publishedAt", allow_none=True)
    reading_minutes = fields.Integer(data_key="readingMinutes", allow_none=True)
    sources = fields.List(fields.Nested(SourceSchema))
    generation_attempts = fields.Integer(data_key="generationAttempts")
    generation_errors = fields.List(fields.String(), data_key="generationErrors")
    progress_stage = fields.Function(
        lambda e: e.progress_stage.value if e.progress_stage else None, data_key="stage"
    )
    progress_percent = fields.Integer(data_key="percent")
    created_at = fields.AwareDateTime(data_key="createdAt")


class PageQuerySchema(StrictSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE))
    cursor = fields.String(load_default=None)


def page(items: list[Any], schema: Schema, limit: int) -> dict[str, Any]:
    """A page of results with the cursor for the next one (None when this is the last)."""
    next_cursor = items[-1].id if len(items) == limit else None
    return {"items": schema.dump(items, many=True), "nextCursor": next_cursor}
