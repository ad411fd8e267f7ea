"""Marshmallow schemas for every request and response body: camelCase on the wire.

The same classes validate input, serialize output and generate the OpenAPI document
(``openapi.py``), so the published contract cannot drift from what the code does.
Request schemas reject unknown fields (``StrictSchema``); response fields are all
``required`` so the document promises their presence (``None`` where nullable).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from marshmallow import EXCLUDE, RAISE, Schema, fields, pre_dump, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from manyfutures.core.activity.engagement import MAX_METRICS_DAYS
from manyfutures.core.activity.resource_types import AUDITED_RESOURCE_TYPES
from manyfutures.core.activity.use_cases import EVENT_TYPE_PATTERN, MAX_EVENT_DATA_BYTES
from manyfutures.core.costs.model import Operation
from manyfutures.core.costs.prices import MAX_TOKENS
from manyfutures.core.costs.usage_history import MAX_USAGE_DAYS
from manyfutures.core.episodes.episode import BlockType, EpisodeStatus, GenerationStage
from manyfutures.core.feedback.highlight import MAX_HIGHLIGHT_NOTE_LENGTH
from manyfutures.core.feedback.model import (
    MAX_FEEDBACK_COMMENT_LENGTH,
    MAX_RATING,
    MIN_RATING,
    PlanningNoteStatus,
)
from manyfutures.core.generation.use_cases import EpisodeDetail
from manyfutures.core.identity.use_cases import KNOWN_FEATURES, MeView, OrganizationSettings
from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.projects.model import (
    MAX_BRIEF_LENGTH,
    MAX_TITLE_LENGTH,
    ProjectStatus,
)
from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.paging import MAX_PAGE_SIZE

# Patterns are published as they are in the OpenAPI document, whose dialect (ECMA-262)
# ends the input at `$`; FullMatch gives Python the same reading.
ID_PATTERN = r"^[a-z]+_[0-9A-Za-z]{1,64}$"
# 0 to MAX_DAILY_COST_LIMIT_GBP (100000.00), at most two places: the document states the
# cap itself, not only the shape. tests/unit/http/test_strict_schemas.py holds the two equal.
MONEY_PATTERN = r"^([0-9]{1,5}(\.[0-9]{1,2})?|100000(\.00?)?)$"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
FieldT = TypeVar("FieldT", bound=fields.Field)  # type: ignore[type-arg]


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class FullMatch(validate.Regexp):
    """The whole value must match. marshmallow's Regexp uses ``re.match``, and in Python
    ``$`` also matches before a final newline, so ``"50.00\n"`` passed ``^...$``."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self._whole = re.compile(pattern)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self._whole.fullmatch(value) is None:
            raise MarshmallowValidationError(self._format_error(value))
        return value


class JsonInteger(fields.Integer):
    """An integer as JSON Schema means ``type: integer``: a JSON number with no fractional
    part (``2`` and ``2.0`` alike, as JSON has one number type). Strings, booleans and
    fractions are refused; marshmallow's Integer would parse ``"1"`` and truncate ``1.5``."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class JsonNumber(fields.Float):
    """A JSON number (``type: number``): strings and booleans are refused, where
    marshmallow's Float would parse ``"0.5"`` and take ``true`` as 1."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return float(value)


class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` and nothing else: marshmallow's Boolean also takes ``"yes"``,
    ``1`` and ``"off"``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _out(field: FieldT) -> FieldT:
    """Response fields are always present; mark them so the document says so."""
    field.required = True
    return field


# --- Shared ---------------------------------------------------------------------------


class PageQuerySchema(StrictSchema):
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(1, MAX_PAGE_SIZE),
        metadata={"description": f"Page size, 1 to {MAX_PAGE_SIZE}."},
    )
    cursor = fields.String(
        load_default=None,
        validate=FullMatch(ID_PATTERN),
        metadata={"description": "The previous page's nextCursor; omit for the first page."},
    )


_PAGE_QUERY_KEYS = frozenset(("limit", "cursor"))
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")
_ID = re.compile(ID_PATTERN)


def fast_page_query(args: Mapping[str, str]) -> dict[str, Any] | None:
    """What ``PageQuerySchema`` loads from a query string it accepts, for the usual ones
    (no other key, ``limit`` in ASCII digits within range, ``cursor`` an id), without
    marshmallow; None for anything else, which the schema then loads or refuses in its
    own words. ``args`` answers the first value of a repeated key, as ``to_dict`` does.
    tests/unit/http/test_page_query.py holds the two equal over arbitrary query strings.
    """
    if not _PAGE_QUERY_KEYS.issuperset(args.keys()):
        return None
    text = args.get("limit")
    if text is None:
        limit = 20
    elif _ASCII_DIGITS.fullmatch(text) is None or not 1 <= (limit := int(text)) <= MAX_PAGE_SIZE:
        return None
    cursor = args.get("cursor")
    if cursor is not None and _ID.fullmatch(cursor) is None:
        return None
    return {"limit": limit, "cursor": cursor}


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """A named ``{items, nextCursor}`` envelope for one item schema."""
    return type(
        name,
        (Schema,),
        {
            "items": _out(fields.List(fields.Nested(item))),
            "next_cursor": _out(
                fields.String(
                    data_key="nextCursor",
                    allow_none=True,
                    metadata={"description": "Pass as ?cursor= for the next page; null at end."},
                )
            ),
        },
    )


@functools.cache
def instance(schema: type[Schema]) -> Schema:
    """One instance per schema class, made on first use and shared by every request.

    Building a marshmallow schema costs more than most of the loads and dumps it then
    does, and an instance keeps no per-call state, so handlers name classes only.
    """
    return schema()


def page(items: list[Any], schema: type[Schema], limit: int) -> dict[str, Any]:
    """A page of results with the cursor for the next one (None when this is the last)."""
    next_cursor = items[-1].id if len(items) == limit else None
    return {"items": instance(schema).dump(items, many=True), "nextCursor": next_cursor}


def items_page(items: Sequence[Mapping[str, Any]], limit: int) -> dict[str, Any]:
    """A page of read models that are already the items' JSON (core/listings: the
    projects and episodes pages, ADR 0026), with the cursor for the next one.

    The read models are what ``ProjectSchema``/``EpisodeSchema`` would dump of the same
    rows, key order included (tests/unit/http/test_read_models.py); the page schemas
    still describe them in the OpenAPI document."""
    next_cursor = items[-1]["id"] if len(items) == limit else None
    return {"items": items, "nextCursor": next_cursor}


class ProblemSchema(Schema):
    """RFC 9457 problem details; ``errors`` maps field names to messages on 422."""

    type = _out(fields.String())
    title = _out(fields.String())
    status = _out(fields.Integer())
    detail = _out(fields.String())
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    resets_at = fields.AwareDateTime(
        data_key="resetsAt",
        metadata={"description": "On daily-cost-limit-reached: when the day resets (00:00 UTC)."},
    )

    class Meta:
        unknown = EXCLUDE


# --- Me -------------------------------------------------------------------------------


class MeUserSchema(Schema):
    id = _out(fields.String(attribute="user_id"))
    email = _out(fields.String(allow_none=True))
    name = _out(fields.String(allow_none=True))
    timezone = _out(fields.String())


class MeOrganizationSchema(Schema):
    id = _out(fields.String(attribute="organization_id"))
    name = _out(fields.String(attribute="organization_name", allow_none=True))
    enabled_features = _out(fields.List(fields.String(), data_key="enabledFeatures"))
    experimental_features = _out(fields.List(fields.String(), data_key="experimentalFeatures"))


class MeSchema(Schema):
    user = _out(fields.Nested(MeUserSchema))
    organization = _out(fields.Nested(MeOrganizationSchema))
    role = _out(fields.Enum(Role, by_value=True))

    @pre_dump
    def _split(self, me: MeView, **_: Any) -> dict[str, Any]:
        return {"user": me, "organization": me, "role": me.role}


# --- Projects -------------------------------------------------------------------------


class CadenceSchema(StrictSchema):
    mode = fields.Enum(CadenceMode, by_value=True, required=True)
    days = fields.List(
        JsonInteger(validate=validate.Range(0, 6)),
        load_default=list,
        validate=validate.Length(max=7),
        required=False,
        metadata={
            "description": "0 = Sunday … 6 = Saturday; weekly needs one, custom 1+.",
            "uniqueItems": True,
        },
    )


class CadenceOutSchema(Schema):
    mode = _out(fields.Enum(CadenceMode, by_value=True))
    days = _out(fields.List(fields.Integer()))


class ProjectCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(1, MAX_TITLE_LENGTH))
    brief = fields.String(required=True, validate=validate.Length(1, MAX_BRIEF_LENGTH))
    cadence = fields.Nested(
        CadenceSchema, metadata={"description": "Defaults to weekly on Monday."}
    )
    delivery_time = fields.String(
        data_key="deliveryTime",
        validate=FullMatch(TIME_PATTERN),
        metadata={"description": "Local HH:MM, default 09:00."},
    )
    timezone = fields.String(
        validate=validate.Length(1, 64),
        metadata={"description": "IANA zone; defaults to the user's time zone."},
    )


class ProjectUpdateSchema(StrictSchema):
    title = fields.String(validate=validate.Length(1, MAX_TITLE_LENGTH))
    brief = fields.String(validate=validate.Length(1, MAX_BRIEF_LENGTH))
    cadence = fields.Nested(CadenceSchema)
    delivery_time = fields.String(data_key="deliveryTime", validate=FullMatch(TIME_PATTERN))
    timezone = fields.String(validate=validate.Length(1, 64))


class ProjectSchema(Schema):
    id = _out(fields.String())
    title = _out(fields.String())
    brief = _out(fields.String(attribute="onboarding_brief"))
    status = _out(fields.Enum(ProjectStatus, by_value=True))
    cadence = _out(fields.Nested(CadenceOutSchema))
    delivery_time = _out(
        fields.Time(format="%H:%M", attribute="cadence.delivery_time", data_key="deliveryTime")
    )
    timezone = _out(fields.String(attribute="cadence.timezone"))
    next_scheduled_at = _out(fields.AwareDateTime(data_key="nextScheduledAt", allow_none=True))
    version = _out(
        fields.Integer(metadata={"description": 'Also the ETag: send If-Match: "v<version>".'})
    )
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    updated_at = _out(fields.AwareDateTime(data_key="updatedAt"))


# --- Episodes -------------------------------------------------------------------------


class SourceSchema(Schema):
    title = _out(fields.String())
    url = _out(fields.String())


class EpisodeSchema(Schema):
    id = _out(fields.String())
    project_id = _out(fields.String(data_key="projectId"))
    status = _out(fields.Enum(EpisodeStatus, by_value=True))
    title = _out(fields.String(allow_none=True))
    summary = _out(fields.String(allow_none=True))
    scheduled_for = _out(fields.AwareDateTime(data_key="scheduledFor"))
    published_at = _out(fields.AwareDateTime(data_key="publishedAt", allow_none=True))
    reading_minutes = _out(fields.Integer(data_key="readingMinutes", allow_none=True))
    sources = _out(fields.List(fields.Nested(SourceSchema)))
    generation_attempts = _out(fields.Integer(data_key="generationAttempts"))
    generation_errors = _out(fields.List(fields.String(), data_key="generationErrors"))
    progress_stage = _out(
        fields.Enum(GenerationStage, by_value=True, data_key="stage", allow_none=True)
    )
    progress_percent = _out(fields.Integer(data_key="percent"))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


class BlockSchema(Schema):
    id = _out(fields.String())
    type = _out(fields.Enum(BlockType, by_value=True))
    position = _out(fields.Integer())
    content = _out(fields.String(metadata={"description": "Markdown."}))
    reasoning = _out(fields.String(allow_none=True))
    confidence = _out(fields.Float(allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


class _EpisodeWithBlocks:
    """Lets one schema read the episode's fields and the detail's blocks side by side."""

    def __init__(self, detail: EpisodeDetail) -> None:
        self._episode = detail.episode
        self.blocks = list(detail.blocks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._episode, name)


class EpisodeDetailSchema(EpisodeSchema):
    blocks = _out(fields.List(fields.Nested(BlockSchema)))

    @pre_dump
    def _flatten(self, detail: EpisodeDetail, **_: Any) -> _EpisodeWithBlocks:
        return _EpisodeWithBlocks(detail)


class EpisodeStatusSchema(Schema):
    id = _out(fields.String())
    status = _out(fields.Enum(EpisodeStatus, by_value=True))
    stage = _out(
        fields.Enum(GenerationStage, by_value=True, attribute="progress_stage", allow_none=True)
    )
    percent = _out(fields.Integer(attribute="progress_percent"))
    attempts = _out(fields.Integer(attribute="generation_attempts"))
    errors = _out(fields.List(fields.String(), attribute="generation_errors"))
    updated_at = _out(fields.AwareDateTime(data_key="updatedAt"))


# --- Planning notes -------------------------------------------------------------------


class PlanningNoteCreateSchema(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(1, 2000))


class PlanningNoteUpdateSchema(StrictSchema):
    """One change at a time: new text (the author, while the note is pending) or
    ``archived`` (the author or an admin, while pending or sent)."""

    note = fields.String(
        validate=validate.Length(1, 2000),
        metadata={"description": "New text; the author only, while the note is pending."},
    )
    status = fields.String(
        validate=validate.OneOf([PlanningNoteStatus.ARCHIVED.value]),
        metadata={"description": "Only 'archived': withdraws a pending or sent note."},
    )

    @validates_schema
    def _one_change(self, data: dict[str, Any], **_: Any) -> None:
        if ("note" in data) == ("status" in data):
            message = "send either 'note' (new text) or 'status': 'archived'"
            raise MarshmallowValidationError({"note": [message], "status": [message]})


class PlanningNoteQuerySchema(StrictSchema):
    status = fields.Enum(PlanningNoteStatus, by_value=True, load_default=None)


class PlanningNoteSchema(Schema):
    id = _out(fields.String())
    project_id = _out(fields.String(data_key="projectId"))
    author_id = _out(fields.String(attribute="user_id", data_key="authorId"))
    note = _out(fields.String())
    status = _out(fields.Enum(PlanningNoteStatus, by_value=True))
    episode_id = _out(fields.String(data_key="episodeId", allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    processed_at = _out(fields.AwareDateTime(data_key="processedAt", allow_none=True))


class PlanningNoteListSchema(Schema):
    items = _out(fields.List(fields.Nested(PlanningNoteSchema)))


# --- Episode feedback -----------------------------------------------------------------


class EpisodeFeedbackCreateSchema(StrictSchema):
    rating = JsonInteger(required=True, validate=validate.Range(MIN_RATING, MAX_RATING))
    comment = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_FEEDBACK_COMMENT_LENGTH),
    )


class EpisodeFeedbackSchema(Schema):
    id = _out(fields.String())
    episode_id = _out(fields.String(data_key="episodeId"))
    project_id = _out(fields.String(data_key="projectId"))
    author_id = _out(fields.String(attribute="user_id", data_key="authorId"))
    rating = _out(fields.Integer())
    comment = _out(fields.String(allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    updated_at = _out(fields.AwareDateTime(data_key="updatedAt"))


# --- Events ---------------------------------------------------------------------------


class EventCreateSchema(StrictSchema):
    event_type = fields.String(
        data_key="eventType",
        required=True,
        validate=FullMatch(EVENT_TYPE_PATTERN.pattern),
    )
    event_data = fields.Dict(
        data_key="eventData",
        keys=fields.String(),
        load_default=dict,
        metadata={"description": f"Any JSON object up to {MAX_EVENT_DATA_BYTES} bytes."},
    )


class EventSchema(Schema):
    id = _out(fields.String())
    event_type = _out(fields.String(data_key="eventType"))
    event_data = _out(fields.Dict(data_key="eventData"))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


# --- Highlights -----------------------------------------------------------------------


class HighlightCreateSchema(StrictSchema):
    block_id = fields.String(data_key="blockId", required=True, validate=FullMatch(ID_PATTERN))
    start_offset = JsonInteger(
        data_key="startOffset",
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "First code point highlighted (0-based, included)."},
    )
    end_offset = JsonInteger(
        data_key="endOffset",
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "Code point after the last one highlighted (excluded)."},
    )
    text = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Must equal the block's content between the offsets."},
    )
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_HIGHLIGHT_NOTE_LENGTH)
    )


class HighlightSchema(Schema):
    id = _out(fields.String())
    episode_id = _out(fields.String(data_key="episodeId"))
    block_id = _out(fields.String(data_key="blockId"))
    author_id = _out(fields.String(attribute="user_id", data_key="authorId"))
    start_offset = _out(fields.Integer(data_key="startOffset"))
    end_offset = _out(fields.Integer(data_key="endOffset"))
    text = _out(fields.String())
    note = _out(fields.String(allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


class HighlightListSchema(Schema):
    items = _out(fields.List(fields.Nested(HighlightSchema)))


# --- Usage ----------------------------------------------------------------------------


def money_text(value: Decimal) -> str:
    """Pounds as a decimal string with at least pence ("0.00", "1.50"), never rounded:
    per-call costs are fractions of a penny ("0.0345") and are shown as they are."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


def _gbp(attribute: str, name: str, description: str) -> fields.Function:
    return _out(
        fields.Function(
            lambda obj: money_text(getattr(obj, attribute)),
            data_key=name,
            metadata={
                "type": "string",
                "pattern": r"^[0-9]+\.[0-9]{2,}$",
                "description": description,
            },
        )
    )


class UsageQuerySchema(StrictSchema):
    first = fields.Date(
        data_key="from",
        required=True,
        metadata={"description": "First UTC date, included (YYYY-MM-DD)."},
    )
    last = fields.Date(
        data_key="to",
        required=True,
        metadata={
            "description": f"Last UTC date, included; at most {MAX_USAGE_DAYS} days from "
            "from, both counted."
        },
    )


class OperationUsageSchema(Schema):
    operation = _out(fields.Enum(Operation, by_value=True))
    tokens = _out(fields.Integer())
    cost_gbp = _gbp("cost_gbp", "costGbp", "What operations of this kind cost that day.")


class DailyUsageSchema(Schema):
    date = _out(fields.Date(attribute="day", metadata={"description": "The UTC date."}))
    spent_gbp = _gbp("spent_gbp", "spentGbp", "What the organization spent that UTC day.")
    tokens = _out(fields.Integer(metadata={"description": "Prompt and completion tokens."}))
    episodes = _out(
        fields.Integer(metadata={"description": "Episodes whose generation spent that day."})
    )
    operations = _out(
        fields.List(
            fields.Nested(OperationUsageSchema),
            metadata={"description": "Per kind of AI operation; only those that spent."},
        )
    )
    hourly_peak = _out(
        fields.Integer(
            data_key="hourlyPeak", metadata={"description": "Tokens in the busiest UTC hour."}
        )
    )
    peak_hour = _out(
        fields.Integer(
            data_key="peakHour",
            allow_none=True,
            metadata={"description": "The busiest UTC hour, 0-23; null on a day without usage."},
        )
    )


class UsageHistorySchema(Schema):
    first = _out(fields.Date(data_key="from"))
    last = _out(fields.Date(data_key="to"))
    days = _out(
        fields.List(
            fields.Nested(DailyUsageSchema),
            metadata={"description": "One row per UTC date, oldest first; zeros without usage."},
        )
    )


class UsageTodaySchema(Schema):
    day = _out(fields.Date(metadata={"description": "Today's UTC date."}))
    state = _out(
        fields.String(
            validate=validate.OneOf(["closed", "warning", "open"]),
            metadata={"description": "closed; warning from 80 % committed; open: no new AI work"},
        )
    )
    spent_gbp = _gbp("spent_gbp", "spentGbp", "What runs admitted today reported spending.")
    reserved_gbp = _gbp(
        "reserved_gbp", "reservedGbp", "Ceilings of runs admitted today and still running."
    )
    limit_gbp = _gbp("limit_gbp", "limitGbp", "The organization's daily cost limit.")
    resets_at = _out(fields.AwareDateTime(data_key="resetsAt"))


# --- Organization and audit log -------------------------------------------------------


class OrganizationUpdateSchema(StrictSchema):
    daily_cost_limit_gbp = fields.String(
        data_key="dailyCostLimitGbp",
        validate=FullMatch(MONEY_PATTERN),
        metadata={
            "description": "GBP as a decimal string, e.g. '50.00': from 0 to the plan's "
            "dailyLimitCeilingGbp (422 above it)."
        },
    )
    enabled_features = fields.List(
        fields.String(validate=validate.OneOf(sorted(KNOWN_FEATURES))),
        data_key="enabledFeatures",
    )
    experimental_features = fields.List(
        fields.String(validate=validate.OneOf(sorted(KNOWN_FEATURES))),
        data_key="experimentalFeatures",
    )


def _money_out(data_key: str, description: str) -> fields.Decimal:
    return _out(
        fields.Decimal(
            as_string=True,
            places=2,
            data_key=data_key,
            metadata={"type": "string", "pattern": MONEY_PATTERN, "description": description},
        )
    )


class PlanSchema(Schema):
    """The organization's plan, set by Many Futures (read-only here), and its use."""

    max_active_projects = _out(
        fields.Integer(
            data_key="maxActiveProjects",
            metadata={"description": "How many projects may be active at once."},
        )
    )
    daily_limit_ceiling_gbp = _money_out(
        "dailyLimitCeilingGbp", "The highest daily cost limit admins may set."
    )
    active_projects = _out(
        fields.Integer(data_key="activeProjects", metadata={"description": "Projects active now."})
    )


class OrganizationSchema(Schema):
    id = _out(fields.String())
    name = _out(fields.String())
    daily_cost_limit_gbp = _money_out(
        "dailyCostLimitGbp", "Spend per UTC day, at most the plan's dailyLimitCeilingGbp."
    )
    enabled_features = _out(fields.List(fields.String(), data_key="enabledFeatures"))
    experimental_features = _out(fields.List(fields.String(), data_key="experimentalFeatures"))
    plan = _out(fields.Nested(PlanSchema))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))
    updated_at = _out(fields.AwareDateTime(data_key="updatedAt"))

    @pre_dump
    def _flatten(self, settings: OrganizationSettings, **_: Any) -> dict[str, Any]:
        organization = settings.organization
        return {
            "id": organization.id,
            "name": organization.name,
            "daily_cost_limit_gbp": organization.daily_cost_limit_gbp,
            "enabled_features": organization.enabled_features,
            "experimental_features": organization.experimental_features,
            "plan": {
                "max_active_projects": settings.plan.max_active_projects,
                "daily_limit_ceiling_gbp": settings.plan.daily_limit_ceiling_gbp,
                "active_projects": settings.active_projects,
            },
            "created_at": organization.created_at,
            "updated_at": organization.updated_at,
        }


class AuditLogQuerySchema(PageQuerySchema):
    action = fields.String(
        load_default=None,
        validate=validate.Length(1, 100),
        metadata={"description": "e.g. project.update"},
    )
    resource_id = fields.String(
        data_key="resourceId", load_default=None, validate=validate.Length(1, 100)
    )
    resource_type = fields.String(
        data_key="resourceType",
        load_default=None,
        validate=validate.OneOf(sorted(AUDITED_RESOURCE_TYPES)),
    )
    since = fields.AwareDateTime(
        data_key="from", load_default=None, metadata={"description": "Inclusive, ISO 8601."}
    )
    until = fields.AwareDateTime(
        data_key="to", load_default=None, metadata={"description": "Exclusive, ISO 8601."}
    )


class AuditLogEntrySchema(Schema):
    id = _out(fields.String())
    user_id = _out(fields.String(data_key="userId", allow_none=True))
    action = _out(fields.String())
    resource_type = _out(fields.String(data_key="resourceType"))
    resource_id = _out(fields.String(data_key="resourceId", allow_none=True))
    old_value = _out(fields.String(data_key="oldValue", allow_none=True))
    new_value = _out(fields.String(data_key="newValue", allow_none=True))
    created_at = _out(fields.AwareDateTime(data_key="createdAt"))


# --- Engagement metrics ---------------------------------------------------------------


class EngagementQuerySchema(StrictSchema):
    first = fields.Date(
        data_key="from",
        required=True,
        metadata={"description": "First UTC date, included (YYYY-MM-DD)."},
    )
    last = fields.Date(
        data_key="to",
        required=True,
        metadata={
            "description": f"Last UTC date, included; at most {MAX_METRICS_DAYS} days from "
            "from, both counted."
        },
    )


def _count(name: str, description: str) -> fields.Integer:
    return _out(fields.Integer(data_key=name, metadata={"description": description}))


class EngagementMetricsSchema(Schema):
    first = _out(fields.Date(data_key="from"))
    last = _out(fields.Date(data_key="to"))
    active_projects = _count(
        "activeProjects",
        "Projects with an episode published or opened, or a reader's planning note, "
        "feedback or highlight, in the range.",
    )
    episodes_published = _count("episodesPublished", "Episodes published in the range.")
    episodes_opened = _count("episodesOpened", "Distinct episodes opened by a reader.")
    opens = _count("opens", "Every open of a published episode (episode_opened events).")
    new_readers = _count("newReaders", "Readers who opened their first episode.")
    median_seconds_to_first_open = _out(
        fields.Float(
            data_key="medianSecondsToFirstOpen",
            allow_none=True,
            metadata={
                "description": "Median, over episodes published in the range and opened in "
                "it, of the seconds from publishing to the first open; null if none."
            },
        )
    )
    planning_notes_submitted = _count("planningNotesSubmitted", "Planning notes added.")
    planning_notes_incorporated = _count(
        "planningNotesIncorporated", "Planning notes carried into a published episode."
    )
    feedback_count = _count("feedbackCount", "Episode feedback with a rating.")
    average_feedback_rating = _out(
        fields.Float(
            data_key="averageFeedbackRating",
            allow_none=True,
            metadata={"description": "Mean rating (1-5), two decimals; null without feedback."},
        )
    )


# --- Health and webhooks --------------------------------------------------------------


class HealthSchema(Schema):
    status = _out(fields.String())


class ReadinessSchema(Schema):
    status = _out(fields.String())
    checks = _out(fields.Dict(keys=fields.String(), values=fields.String()))
    tzdata_version = _out(
        fields.String(
            data_key="tzdataVersion",
            metadata={"description": "IANA version of the tzdata package, the only zone data."},
        )
    )


class WebhookResultSchema(Schema):
    received = _out(fields.Boolean())
    type = _out(fields.String())
    applied = _out(fields.Boolean())
    duplicate = _out(fields.Boolean())


# --- n8n generation callbacks ---------------------------------------------------------

COST_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,10})?$"
MAX_EPISODE_TITLE = 300
MAX_EPISODE_SUMMARY = 5000
MAX_GENERATION_ERROR = 2000


class TokenUsageLineSchema(StrictSchema):
    model = fields.String(required=True, validate=validate.Length(1, 200))
    prompt_tokens = JsonInteger(
        data_key="promptTokens", required=True, validate=validate.Range(0, MAX_TOKENS)
    )
    completion_tokens = JsonInteger(
        data_key="completionTokens", required=True, validate=validate.Range(0, MAX_TOKENS)
    )
    # Text, never a JSON number: a float would lose pence.
    cost_gbp = fields.String(
        data_key="costGbp",
        validate=FullMatch(COST_PATTERN),
        metadata={
            "description": "GBP as a decimal string, e.g. '0.03'. Optional: without it the "
            "call is priced from its tokens and the model's price (an unknown model at the "
            "most expensive known rates)."
        },
    )


class CallbackSourceSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(1, 500))
    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(1, 2000))


_CALLBACK_FIELDS = {
    "progress": {"stage", "percent"},
    "completed": {"title", "summary", "content", "sources", "reasoning", "confidence"},
    "failed": {"error", "retryable"},
}
_REQUIRED_FOR = {
    "progress": ("stage", "percent"),
    "completed": ("title", "summary", "content"),
    "failed": ("error", "retryable"),
}
_DATA_KEYS = {"token_usage": "tokenUsage"}


class GenerationCallbackSchema(StrictSchema):
    """One schema for the three callback types; which fields apply depends on ``type``."""

    run_id = fields.String(data_key="runId", required=True, validate=FullMatch(ID_PATTERN))
    type = fields.String(required=True, validate=validate.OneOf(sorted(_CALLBACK_FIELDS)))
    stage = fields.Enum(
        GenerationStage,
        by_value=True,
        metadata={"description": "progress: research | writing | review"},
    )
    percent = JsonInteger(
        validate=validate.Range(0, 100), metadata={"description": "progress: 0-100"}
    )
    title = fields.String(validate=validate.Length(1, MAX_EPISODE_TITLE))
    summary = fields.String(validate=validate.Length(1, MAX_EPISODE_SUMMARY))
    content = fields.String(
        validate=validate.Length(min=1), metadata={"description": "completed: markdown"}
    )
    sources = fields.List(fields.Nested(CallbackSourceSchema), validate=validate.Length(max=100))
    reasoning = fields.String(allow_none=True)
    confidence = JsonNumber(allow_none=True, validate=validate.Range(0, 1))
    error = fields.String(validate=validate.Length(1, MAX_GENERATION_ERROR))
    retryable = JsonBoolean()
    token_usage = fields.List(
        fields.Nested(TokenUsageLineSchema),
        data_key="tokenUsage",
        validate=validate.Length(max=100),
        metadata={"description": "completed and failed: what the run spent, per model call"},
    )

    @validates_schema
    def _fields_fit_the_type(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        if kind not in _CALLBACK_FIELDS:
            return
        allowed = _CALLBACK_FIELDS[kind] | ({"token_usage"} if kind != "progress" else set())
        optional = set(self.fields) - {"run_id", "type"}
        errors: dict[str, list[str]] = {}
        for name in sorted(optional - allowed):
            if name in data:
                errors[_DATA_KEYS.get(name, name)] = [f"not part of a '{kind}' callback"]
        for name in _REQUIRED_FOR[kind]:
            if name not in data:
                errors[name] = [f"required in a '{kind}' callback"]
        if errors:
            raise MarshmallowValidationError(errors)


class GenerationCallbackResultSchema(Schema):
    received = _out(fields.Boolean())
    run_id = _out(fields.String(data_key="runId"))
    type = _out(fields.String())
    outcome = _out(
        fields.String(
            metadata={
                "description": "applied, out_of_order, run_finished (progress); published, "
                "retry_scheduled, failed, duplicate, superseded, episode_final (results)"
            }
        )
    )
    applied = _out(
        fields.Boolean(metadata={"description": "false: nothing changed but the usage ledger"})
    )
    detail = _out(fields.String())


ProjectPageSchema = page_schema(ProjectSchema, "ProjectPageSchema")
EpisodePageSchema = page_schema(EpisodeSchema, "EpisodePageSchema")
AuditLogPageSchema = page_schema(AuditLogEntrySchema, "AuditLogPageSchema")
