"""Explicit conversions between the core's dataclasses and the table rows.

Written out field by field on purpose: a new domain field that nobody maps fails a
round-trip test (tests/unit/adapters/test_postgres_mappers.py, which draws every
field independently, and the contract suite) instead of silently not being stored.
JSON columns hold only JSON-native values: datetimes as ISO-8601 strings, money as
decimal strings (a JSON number would come back as a float).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from manyfutures.adapters.postgres.activity import AuditLogRow, NotificationRow, UserEventRow
from manyfutures.adapters.postgres.costs import TokenUsageDailyRow, TokenUsageRow
from manyfutures.adapters.postgres.episodes import BlockRow, EpisodeRow
from manyfutures.adapters.postgres.feedback import AgentMemoryRow, PlanningNoteRow
from manyfutures.adapters.postgres.generation import GenerationRunRow
from manyfutures.adapters.postgres.identity import MembershipRow, OrganizationRow, UserRow
from manyfutures.adapters.postgres.projects import ProjectRow
from manyfutures.adapters.postgres.scheduling import QueueItemRow
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.costs.model import Operation, OperationTotals, TokenUsage, TokenUsageDaily
from manyfutures.core.episodes.episode import (
    Block,
    BlockType,
    Episode,
    EpisodeStatus,
    GenerationStage,
    Source,
)
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.run import GenerationRun, RunStatus
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.projects.cadence import Cadence, CadenceMode
from manyfutures.core.projects.model import MemoryStorage, Project, ProjectMemory, ProjectStatus
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.actor import Role


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


# --- identity ---------------------------------------------------------------------------


def organization_to_row(o: Organization) -> OrganizationRow:
    return OrganizationRow(
        id=o.id,
        name=o.name,
        daily_cost_limit_gbp=o.daily_cost_limit_gbp,
        enabled_features=list(o.enabled_features),
        experimental_features=list(o.experimental_features),
        created_at=o.created_at,
        updated_at=o.updated_at,
        deleted_at=o.deleted_at,
    )


def organization_from_row(r: OrganizationRow) -> Organization:
    return Organization(
        id=r.id,
        name=r.name,
        daily_cost_limit_gbp=r.daily_cost_limit_gbp,
        enabled_features=list(r.enabled_features),
        experimental_features=list(r.experimental_features),
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


def user_to_row(u: User) -> UserRow:
    return UserRow(
        id=u.id,
        email=u.email,
        name=u.name,
        timezone=u.timezone,
        created_at=u.created_at,
        updated_at=u.updated_at,
        deleted_at=u.deleted_at,
    )


def user_from_row(r: UserRow) -> User:
    return User(
        id=r.id,
        email=r.email,
        name=r.name,
        timezone=r.timezone,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


def membership_to_row(m: Membership) -> MembershipRow:
    return MembershipRow(
        id=m.id,
        organization_id=m.organization_id,
        user_id=m.user_id,
        role=m.role.value,
        created_at=m.created_at,
    )


def membership_from_row(r: MembershipRow) -> Membership:
    return Membership(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        role=Role(r.role),
        created_at=r.created_at,
    )


# --- projects and episodes ------------------------------------------------------------------


def _memory_to_json(m: ProjectMemory) -> dict[str, Any]:
    # The keys are agent_memory's column names, so the move to the table is INSERT … SELECT.
    return {
        "content": m.content,
        "memory_type": m.memory_type,
        "importance": m.importance,
        "created_at": _iso(m.created_at),
        "expires_at": _iso(m.expires_at),
    }


def _memory_from_json(d: dict[str, Any]) -> ProjectMemory:
    return ProjectMemory(
        content=d["content"],
        memory_type=d["memory_type"],
        importance=float(d["importance"]),
        created_at=_from_iso(d.get("created_at")),
        expires_at=_from_iso(d.get("expires_at")),
    )


def project_to_row(p: Project) -> ProjectRow:
    return ProjectRow(
        id=p.id,
        organization_id=p.organization_id,
        created_by=p.created_by,
        title=p.title,
        onboarding_brief=p.onboarding_brief,
        cadence_mode=p.cadence.mode.value,
        cadence_days=list(p.cadence.days),
        cadence_delivery_time=p.cadence.delivery_time,
        cadence_timezone=p.cadence.timezone,
        status=p.status.value,
        next_scheduled_at=p.next_scheduled_at,
        memories=[_memory_to_json(m) for m in p.memories],
        memory_storage=p.memory_storage.value,
        version=p.version,
        created_at=p.created_at,
        updated_at=p.updated_at,
        deleted_at=p.deleted_at,
        deleted_by=p.deleted_by,
    )


def project_from_row(r: ProjectRow) -> Project:
    # The constructor, not Cadence.create: stored cadences were validated on the way in,
    # and re-validating would make a time zone dropped from tzdata unreadable.
    cadence = Cadence(
        mode=CadenceMode(r.cadence_mode),
        days=tuple(r.cadence_days),
        delivery_time=r.cadence_delivery_time,
        timezone=r.cadence_timezone,
    )
    return Project(
        id=r.id,
        organization_id=r.organization_id,
        created_by=r.created_by,
        title=r.title,
        onboarding_brief=r.onboarding_brief,
        cadence=cadence,
        status=ProjectStatus(r.status),
        next_scheduled_at=r.next_scheduled_at,
        memories=[_memory_from_json(m) for m in r.memories],
        memory_storage=MemoryStorage(r.memory_storage),
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
        deleted_by=r.deleted_by,
    )


def episode_to_row(e: Episode) -> EpisodeRow:
    return EpisodeRow(
        id=e.id,
        organization_id=e.organization_id,
        project_id=e.project_id,
        status=e.status.value,
        title=e.title,
        summary=e.summary,
        scheduled_for=e.scheduled_for,
        published_at=e.published_at,
        reading_minutes=e.reading_minutes,
        sources=[{"title": s.title, "url": s.url} for s in e.sources],
        generation_attempts=e.generation_attempts,
        generation_errors=list(e.generation_errors),
        progress_stage=e.progress_stage.value if e.progress_stage else None,
        progress_percent=e.progress_percent,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def episode_from_row(r: EpisodeRow) -> Episode:
    return Episode(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        status=EpisodeStatus(r.status),
        title=r.title,
        summary=r.summary,
        scheduled_for=r.scheduled_for,
        published_at=r.published_at,
        reading_minutes=r.reading_minutes,
        sources=[Source(s["title"], s["url"]) for s in r.sources],
        generation_attempts=r.generation_attempts,
        generation_errors=list(r.generation_errors),
        progress_stage=GenerationStage(r.progress_stage) if r.progress_stage else None,
        progress_percent=r.progress_percent,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def block_to_row(b: Block) -> BlockRow:
    return BlockRow(
        id=b.id,
        episode_id=b.episode_id,
        organization_id=b.organization_id,
        type=b.type.value,
        content=b.content,
        position=b.position,
        reasoning=b.reasoning,
        confidence=b.confidence,
        created_at=b.created_at,
        updated_at=b.updated_at,
    )


def block_from_row(r: BlockRow) -> Block:
    return Block(
        id=r.id,
        episode_id=r.episode_id,
        organization_id=r.organization_id,
        type=BlockType(r.type),
        content=r.content,
        position=r.position,
        reasoning=r.reasoning,
        confidence=r.confidence,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


# --- scheduling and generation ----------------------------------------------------------------


def queue_item_to_row(i: ScheduleQueueItem) -> QueueItemRow:
    return QueueItemRow(
        id=i.id,
        organization_id=i.organization_id,
        project_id=i.project_id,
        episode_id=i.episode_id,
        scheduled_for=i.scheduled_for,
        available_at=i.available_at,
        status=i.status.value,
        attempt_count=i.attempt_count,
        picked_up_at=i.picked_up_at,
        lease_expires_at=i.lease_expires_at,
        last_attempt_at=i.last_attempt_at,
        last_error=i.last_error,
        completed_at=i.completed_at,
        created_at=i.created_at,
    )


def queue_item_from_row(r: QueueItemRow | Row[Any] | Any) -> ScheduleQueueItem:
    """Any row with the table's column names as attributes: an ORM object, a Core row,
    or the psycopg named tuple the scheduler's claim returns."""
    return ScheduleQueueItem(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        episode_id=r.episode_id,
        scheduled_for=r.scheduled_for,
        available_at=r.available_at,
        status=QueueStatus(r.status),
        attempt_count=r.attempt_count,
        picked_up_at=r.picked_up_at,
        lease_expires_at=r.lease_expires_at,
        last_attempt_at=r.last_attempt_at,
        last_error=r.last_error,
        completed_at=r.completed_at,
        created_at=r.created_at,
    )


def run_to_row(r: GenerationRun) -> GenerationRunRow:
    return GenerationRunRow(
        id=r.id,
        organization_id=r.organization_id,
        episode_id=r.episode_id,
        queue_item_id=r.queue_item_id,
        attempt=r.attempt,
        status=r.status.value,
        planning_note_ids=list(r.planning_note_ids),
        error=r.error,
        started_at=r.started_at,
        finished_at=r.finished_at,
    )


def run_from_row(r: GenerationRunRow) -> GenerationRun:
    return GenerationRun(
        id=r.id,
        organization_id=r.organization_id,
        episode_id=r.episode_id,
        queue_item_id=r.queue_item_id,
        attempt=r.attempt,
        status=RunStatus(r.status),
        planning_note_ids=list(r.planning_note_ids),
        error=r.error,
        started_at=r.started_at,
        finished_at=r.finished_at,
    )


# --- costs ------------------------------------------------------------------------------


def usage_to_row(u: TokenUsage) -> TokenUsageRow:
    return TokenUsageRow(
        id=u.id,
        organization_id=u.organization_id,
        project_id=u.project_id,
        episode_id=u.episode_id,
        operation=u.operation.value,
        model=u.model,
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        cost_gbp=u.cost_gbp,
        created_at=u.created_at,
    )


def daily_from_row(r: TokenUsageDailyRow) -> TokenUsageDaily:
    return TokenUsageDaily(
        organization_id=r.organization_id,
        date=r.date,
        total_tokens=r.total_tokens,
        total_cost_gbp=r.total_cost_gbp,
        episode_count=r.episode_count,
        operation_breakdown={
            Operation(name): OperationTotals(int(totals["tokens"]), Decimal(totals["cost_gbp"]))
            for name, totals in r.operation_breakdown.items()
        },
        hourly_tokens={int(hour): int(tokens) for hour, tokens in r.hourly_tokens.items()},
        last_updated=r.last_updated,
    )


# --- engagement -------------------------------------------------------------------------


def note_to_row(n: PlanningNote) -> PlanningNoteRow:
    return PlanningNoteRow(
        id=n.id,
        organization_id=n.organization_id,
        project_id=n.project_id,
        user_id=n.user_id,
        note=n.note,
        status=n.status.value,
        episode_id=n.episode_id,
        created_at=n.created_at,
        processed_at=n.processed_at,
    )


def note_from_row(r: PlanningNoteRow) -> PlanningNote:
    return PlanningNote(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        user_id=r.user_id,
        note=r.note,
        status=PlanningNoteStatus(r.status),
        episode_id=r.episode_id,
        created_at=r.created_at,
        processed_at=r.processed_at,
    )


def memory_to_row(m: AgentMemory) -> AgentMemoryRow:
    return AgentMemoryRow(
        id=m.id,
        organization_id=m.organization_id,
        project_id=m.project_id,
        content=m.content,
        memory_type=m.memory_type,
        importance=m.importance,
        created_at=m.created_at,
        expires_at=m.expires_at,
    )


def memory_from_row(r: AgentMemoryRow) -> AgentMemory:
    return AgentMemory(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        content=r.content,
        memory_type=r.memory_type,
        importance=r.importance,
        created_at=r.created_at,
        expires_at=r.expires_at,
    )


def event_to_row(e: UserEvent) -> UserEventRow:
    return UserEventRow(
        id=e.id,
        organization_id=e.organization_id,
        user_id=e.user_id,
        event_type=e.event_type,
        event_data=dict(e.event_data),
        created_at=e.created_at,
    )


def event_from_row(r: UserEventRow) -> UserEvent:
    return UserEvent(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        event_type=r.event_type,
        event_data=dict(r.event_data),
        created_at=r.created_at,
    )


def audit_to_row(a: AuditLog) -> AuditLogRow:
    return AuditLogRow(
        id=a.id,
        organization_id=a.organization_id,
        user_id=a.user_id,
        action=a.action,
        resource_type=a.resource_type,
        resource_id=a.resource_id,
        old_value=a.old_value,
        new_value=a.new_value,
        created_at=a.created_at,
    )


def audit_from_row(r: AuditLogRow) -> AuditLog:
    return AuditLog(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        action=r.action,
        resource_type=r.resource_type,
        resource_id=r.resource_id,
        old_value=r.old_value,
        new_value=r.new_value,
        created_at=r.created_at,
    )


def notification_to_row(n: Notification) -> NotificationRow:
    return NotificationRow(
        id=n.id,
        organization_id=n.organization_id,
        user_id=n.user_id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        link=n.link,
        read_at=n.read_at,
        created_at=n.created_at,
    )


def notification_from_row(r: NotificationRow) -> Notification:
    return Notification(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        kind=r.kind,
        title=r.title,
        body=r.body,
        link=r.link,
        read_at=r.read_at,
        created_at=r.created_at,
    )
