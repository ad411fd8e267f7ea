"""Typed table models: the schema as Python, compared against the migrations in CI.

These classes describe rows, not domain objects: the core's dataclasses are never
instrumented by the ORM, and ``mappers`` converts in both directions explicitly.

Conventions (the future ``db lint`` checks them; docs/postgres.md lists them):

* table names are the seed's snake_case plurals; columns are the snake_case domain
  field names (a value object is flattened with its name as prefix: ``cadence_*``);
* ids are text in the ``"C"`` collation, so ``ORDER BY id`` is byte order, the same
  order as Python's ``sorted`` and the ULIDs' creation order;
* every tenant table has ``organization_id NOT NULL`` referencing ``organizations``
  and an index whose leading column is ``organization_id``;
* a reference to another tenant row is a *composite* foreign key
  ``(x_id, organization_id) -> parent (id, organization_id)``: a row can never
  point at another organization's parent, even by a guessed id (foreign-key checks
  bypass row-level security, so RLS alone would not stop that). Every foreign
  key's columns lead some index;
* no foreign keys to ``users``: users are mirrored from Clerk by webhooks that may
  arrive after the memberships, notes or events that mention them;
* enumerations are ``text`` with a named CHECK constraint (adding a value is a
  one-line migration, unlike a PostgreSQL enum type);
* money is ``numeric``: the organization's limit is pounds and pence
  (``numeric(12,2)``); per-call costs are fractions of a penny, so they are
  unconstrained ``numeric``, which stores exactly the ``Decimal`` given and sums
  exactly as Python does;
* times are ``timestamptz``; the usage day is the UTC date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column

from manyfutures.core.costs.model import Operation
from manyfutures.core.episodes.episode import BlockType, EpisodeStatus, GenerationStage
from manyfutures.core.feedback.model import ChatRole, PlanningNoteStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.projects.model import MemoryStorage, ProjectStatus
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Role

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}

ID_TYPE = Text(collation="C")
Id = Annotated[str, mapped_column(ID_TYPE)]
Timestamp = Annotated[dt.datetime, mapped_column(DateTime(timezone=True))]


class Base(MappedAsDataclass, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str: Text(),
        int: Integer(),
        float: Double(),
        Decimal: Numeric(),
        dt.datetime: DateTime(timezone=True),
        dt.time: Time(),
        dt.date: Date(),
        list[str]: ARRAY(Text()),
        list[int]: ARRAY(SmallInteger()),
        dict[str, Any]: JSONB(),
        list[dict[str, Any]]: JSONB(),
    }


def table_of(row: Base | type[Base]) -> Table:
    """The Core table behind a mapped row class (or row), for statements built from it."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """``column IN (...)`` from a domain enum, so the schema cannot drift from the code."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


def tenant_fk(column: str, parent: str) -> ForeignKeyConstraint:
    """A reference that must stay inside the row's own organization."""
    return ForeignKeyConstraint(
        [column, "organization_id"], [f"{parent}.id", f"{parent}.organization_id"]
    )


def org_fk() -> Any:
    return ForeignKey("organizations.id")


# --- identity ---------------------------------------------------------------------------


class OrganizationRow(Base):
    __tablename__ = "organizations"

    id: Mapped[Id] = mapped_column(primary_key=True)
    name: Mapped[str]
    daily_cost_limit_gbp: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    enabled_features: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    experimental_features: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    deleted_at: Mapped[dt.datetime | None]

    __table_args__ = (CheckConstraint("daily_cost_limit_gbp >= 0", name="limit_not_negative"),)


class UserRow(Base):
    """Global: one person may belong to many organizations, so no tenant column and no RLS."""

    __tablename__ = "users"

    id: Mapped[Id] = mapped_column(primary_key=True)
    email: Mapped[str]
    name: Mapped[str]
    timezone: Mapped[str]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    deleted_at: Mapped[dt.datetime | None]


class MembershipRow(Base):
    __tablename__ = "memberships"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id] = mapped_column(index=True)
    role: Mapped[str]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        one_of("role", Role),
    )


# --- projects and episodes ------------------------------------------------------------------


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    created_by: Mapped[Id]
    title: Mapped[str]
    onboarding_brief: Mapped[str]
    cadence_mode: Mapped[str]
    cadence_days: Mapped[list[int]]
    cadence_delivery_time: Mapped[dt.time]
    cadence_timezone: Mapped[str]
    status: Mapped[str]
    next_scheduled_at: Mapped[dt.datetime | None]
    memories: Mapped[list[dict[str, Any]]] = mapped_column(server_default=text("'[]'"))
    memory_storage: Mapped[str]
    version: Mapped[int]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    deleted_at: Mapped[dt.datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(ID_TYPE)

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        Index("ix_projects_organization_id_id", "organization_id", "id"),
        # The scheduler's discovery scan: only live, active projects are ever due.
        Index(
            "ix_projects_due",
            "next_scheduled_at",
            "id",
            postgresql_where=text("status = 'ACTIVE' AND deleted_at IS NULL"),
        ),
        one_of("status", ProjectStatus),
        one_of("cadence_mode", CadenceMode),
        one_of("memory_storage", MemoryStorage),
        CheckConstraint(
            "cadence_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]", name="cadence_days"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("jsonb_typeof(memories) = 'array'", name="memories_array"),
    )


class EpisodeRow(Base):
    __tablename__ = "episodes"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    status: Mapped[str]
    title: Mapped[str | None]
    summary: Mapped[str | None]
    scheduled_for: Mapped[Timestamp]
    published_at: Mapped[dt.datetime | None]
    reading_minutes: Mapped[int | None]
    sources: Mapped[list[dict[str, Any]]] = mapped_column(server_default=text("'[]'"))
    generation_attempts: Mapped[int]
    generation_errors: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    progress_stage: Mapped[str | None]
    progress_percent: Mapped[int]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        Index("ix_episodes_organization_id_project_id_id", "organization_id", "project_id", "id"),
        one_of("status", EpisodeStatus),
        one_of("progress_stage", GenerationStage),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_percent"),
        CheckConstraint("generation_attempts >= 0", name="generation_attempts"),
        CheckConstraint("jsonb_typeof(sources) = 'array'", name="sources_array"),
    )


class BlockRow(Base):
    __tablename__ = "blocks"

    id: Mapped[Id] = mapped_column(primary_key=True)
    episode_id: Mapped[Id]
    organization_id: Mapped[Id] = mapped_column(org_fk())
    type: Mapped[str]
    content: Mapped[str]
    position: Mapped[int]
    reasoning: Mapped[str | None]
    confidence: Mapped[float | None]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_blocks_organization_id_episode_id_position",
            "organization_id",
            "episode_id",
            "position",
        ),
        one_of("type", BlockType),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
    )


# --- scheduling and generation ----------------------------------------------------------------


class QueueItemRow(Base):
    __tablename__ = "episode_schedule_queue"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    episode_id: Mapped[Id]
    scheduled_for: Mapped[Timestamp]
    available_at: Mapped[Timestamp]
    status: Mapped[str]
    attempt_count: Mapped[int]
    picked_up_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_episode_schedule_queue_org_project_slot",
            "organization_id",
            "project_id",
            "scheduled_for",
        ),
        Index(
            "ix_episode_schedule_queue_org_episode",
            "organization_id",
            "episode_id",
        ),
        # One live item per project slot; a cancelled slot may be filled again.
        Index(
            "uq_episode_schedule_queue_live_slot",
            "project_id",
            "scheduled_for",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        # The claim reads pending items in due order from this index: claimed, finished,
        # blocked and cancelled items are not in it, so no claim wades through them.
        Index(
            "ix_episode_schedule_queue_pending",
            "available_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        # ... and finds expired leases (and abandoned items) among in-flight ones here.
        Index(
            "ix_episode_schedule_queue_leases",
            "lease_expires_at",
            postgresql_where=text("status = 'processing'"),
        ),
        one_of("status", QueueStatus),
        CheckConstraint("attempt_count >= 0", name="attempt_count_not_negative"),
    )


class GenerationRunRow(Base):
    __tablename__ = "generation_runs"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    episode_id: Mapped[Id]
    queue_item_id: Mapped[Id]
    attempt: Mapped[int]
    status: Mapped[str]
    planning_note_ids: Mapped[list[str]] = mapped_column(
        ARRAY(ID_TYPE), server_default=text("'{}'")
    )
    error: Mapped[str | None]
    started_at: Mapped[Timestamp]
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("episode_id", "episodes"),
        tenant_fk("queue_item_id", "episode_schedule_queue"),
        Index(
            "ix_generation_runs_organization_id_episode_id_attempt",
            "organization_id",
            "episode_id",
            "attempt",
        ),
        Index(
            "ix_generation_runs_organization_id_queue_item_id",
            "organization_id",
            "queue_item_id",
        ),
        one_of("status", RunStatus),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )


# --- costs ------------------------------------------------------------------------------


class TokenUsageRow(Base):
    """Raw usage, one row per AI call; the trigger folds each into ``token_usage_daily``.

    ``project_id``/``episode_id`` are ledger references, not foreign keys: onboarding
    spends before its project exists, and spend must outlive what it was spent on.
    """

    __tablename__ = "token_usage"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[str | None] = mapped_column(ID_TYPE)
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    operation: Mapped[str]
    model: Mapped[str]
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    cost_gbp: Mapped[Decimal]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_token_usage_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_token_usage_organization_id_project_id",
            "organization_id",
            "project_id",
            postgresql_where=text("project_id IS NOT NULL"),
        ),
        one_of("operation", Operation),
        CheckConstraint(
            "prompt_tokens >= 0 AND completion_tokens >= 0", name="tokens_not_negative"
        ),
        CheckConstraint("cost_gbp >= 0", name="cost_not_negative"),
    )


class TokenUsageDailyRow(Base):
    """Maintained only by the ``token_usage`` trigger; the app role may read it, not write it.

    ``operation_breakdown`` is ``{operation: {"tokens": n, "cost_gbp": "0.41"}}`` (cost
    as a string so JSON never turns pence into a float); ``hourly_tokens`` is
    ``{"0".."23": n}``; ``hourly_peak``/``peak_hour`` are kept for SQL readers and
    equal the domain's properties over ``hourly_tokens``.
    """

    __tablename__ = "token_usage_daily"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    total_tokens: Mapped[int] = mapped_column(BigInteger)
    total_cost_gbp: Mapped[Decimal]
    episode_count: Mapped[int]
    operation_breakdown: Mapped[dict[str, Any]]
    hourly_tokens: Mapped[dict[str, Any]]
    hourly_peak: Mapped[int] = mapped_column(BigInteger)
    peak_hour: Mapped[int | None] = mapped_column(SmallInteger)
    last_updated: Mapped[Timestamp]

    __table_args__ = (CheckConstraint("peak_hour BETWEEN 0 AND 23", name="peak_hour_range"),)


class TokenUsageDailyEpisodeRow(Base):
    """Which episodes already counted towards a day's ``episode_count``.

    The trigger inserts here with ON CONFLICT DO NOTHING and counts the episode only
    when a row was inserted: exact distinct counting under any concurrency, in O(1),
    without scanning ``token_usage``.
    """

    __tablename__ = "token_usage_daily_episodes"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    episode_id: Mapped[Id] = mapped_column(primary_key=True)


# --- engagement -------------------------------------------------------------------------


class PlanningNoteRow(Base):
    __tablename__ = "planning_notes"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    user_id: Mapped[Id]
    note: Mapped[str]
    status: Mapped[str]
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    created_at: Mapped[Timestamp]
    processed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_planning_notes_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        Index(
            "ix_planning_notes_organization_id_episode_id",
            "organization_id",
            "episode_id",
            postgresql_where=text("episode_id IS NOT NULL"),
        ),
        one_of("status", PlanningNoteStatus),
    )


class AgentMemoryRow(Base):
    __tablename__ = "agent_memory"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    content: Mapped[str]
    memory_type: Mapped[str]
    importance: Mapped[float]
    created_at: Mapped[Timestamp]
    expires_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("project_id", "projects"),
        Index(
            "ix_agent_memory_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        CheckConstraint("importance BETWEEN 0 AND 1", name="importance_range"),
    )


class UserEventRow(Base):
    __tablename__ = "user_events"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[str | None] = mapped_column(ID_TYPE)
    event_type: Mapped[str]
    event_data: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'"))
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index(
            "ix_user_events_organization_id_event_type_id", "organization_id", "event_type", "id"
        ),
        Index("ix_user_events_organization_id_created_at", "organization_id", "created_at"),
    )


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[str | None] = mapped_column(ID_TYPE)
    action: Mapped[str]
    resource_type: Mapped[str]
    resource_id: Mapped[str | None] = mapped_column(ID_TYPE)
    old_value: Mapped[str | None]
    new_value: Mapped[str | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_audit_log_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_audit_log_organization_id_resource_id",
            "organization_id",
            "resource_id",
            postgresql_where=text("resource_id IS NOT NULL"),
        ),
    )


class ChatSessionRow(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    project_id: Mapped[Id]
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    title: Mapped[str | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_chat_sessions_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        Index(
            "ix_chat_sessions_organization_id_episode_id",
            "organization_id",
            "episode_id",
            postgresql_where=text("episode_id IS NOT NULL"),
        ),
    )


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    session_id: Mapped[Id]
    role: Mapped[str]
    content: Mapped[str]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        tenant_fk("session_id", "chat_sessions"),
        Index(
            "ix_chat_messages_organization_id_session_id_id",
            "organization_id",
            "session_id",
            "id",
        ),
        one_of("role", ChatRole),
    )


class HighlightRow(Base):
    __tablename__ = "highlights"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    episode_id: Mapped[Id]
    block_id: Mapped[Id]
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    text: Mapped[str]
    note: Mapped[str | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        tenant_fk("episode_id", "episodes"),
        tenant_fk("block_id", "blocks"),
        Index("ix_highlights_organization_id_episode_id_id", "organization_id", "episode_id", "id"),
        Index("ix_highlights_organization_id_block_id", "organization_id", "block_id"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="offsets"),
    )


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    kind: Mapped[str]
    title: Mapped[str]
    body: Mapped[str]
    link: Mapped[str | None]
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_notifications_organization_id_user_id_id", "organization_id", "user_id", "id"),
    )


GLOBAL_TABLES = frozenset({"users"})
"""Tables without a tenant: no ``organization_id``, no row-level security."""


def tenant_column(table_name: str) -> str | None:
    """The column that names a row's organization; None for a global table.

    An organization is its own tenant, so it is scoped by its ``id``.
    """
    if table_name in GLOBAL_TABLES:
        return None
    return "id" if table_name == "organizations" else "organization_id"


TENANT_TABLES = tuple(
    table.name for table in Base.metadata.sorted_tables if table.name not in GLOBAL_TABLES
)
"""Every table row-level security scopes, parents before children."""
