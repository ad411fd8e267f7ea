"""The repositories' statements, built once; each takes the tenant as ``:org``.

Building a statement costs more Python than sending it: one made per call is
constructed, then hashed for SQLAlchemy's compiled cache, on every request. Built
once, only its parameters change. Reads and deletes are built at import; the UPDATE
by id is built per table on first use.

``users`` is the one global table (no ``:org``); an organization is its own tenant.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    Update,
    bindparam,
    delete,
    func,
    select,
    update,
)

from manyfutures.adapters.postgres.activity import AuditLogRow, NotificationRow, UserEventRow
from manyfutures.adapters.postgres.base import table_of
from manyfutures.adapters.postgres.costs import TokenUsageDailyRow
from manyfutures.adapters.postgres.episodes import BlockRow, EpisodeRow
from manyfutures.adapters.postgres.feedback import AgentMemoryRow, PlanningNoteRow
from manyfutures.adapters.postgres.generation import GenerationRunRow
from manyfutures.adapters.postgres.identity import MembershipRow, OrganizationRow, UserRow
from manyfutures.adapters.postgres.projects import ProjectRow
from manyfutures.adapters.postgres.scheduling import QueueItemRow
from manyfutures.core.scheduling.queue import QueueStatus

ORG = bindparam("org", type_=String)

_organizations = table_of(OrganizationRow)
ORGANIZATION = select(_organizations).where(_organizations.c.id == ORG)

_users = table_of(UserRow)
USER = select(_users).where(_users.c.id == bindparam("id"))

_memberships = table_of(MembershipRow)
MEMBERSHIP_FOR_USER = select(_memberships).where(
    _memberships.c.organization_id == ORG, _memberships.c.user_id == bindparam("user_id")
)
MEMBERSHIP_DELETE = delete(_memberships).where(
    _memberships.c.organization_id == ORG, _memberships.c.user_id == bindparam("user_id")
)

_projects = table_of(ProjectRow)
_live_projects = select(_projects).where(
    _projects.c.organization_id == ORG, _projects.c.deleted_at.is_(None)
)
PROJECT = _live_projects.where(_projects.c.id == bindparam("id"))
PROJECT_PAGE = _live_projects.order_by(_projects.c.id.desc()).limit(bindparam("limit"))
PROJECT_PAGE_AFTER = PROJECT_PAGE.where(_projects.c.id < bindparam("after"))
# Deleted projects included: it names the version that beat a failed update.
PROJECT_VERSION = select(_projects.c.version).where(
    _projects.c.organization_id == ORG, _projects.c.id == bindparam("id")
)

_episodes = table_of(EpisodeRow)
_my_episodes = select(_episodes).where(_episodes.c.organization_id == ORG)
EPISODE = _my_episodes.where(_episodes.c.id == bindparam("id"))
EPISODE_PAGE = (
    _my_episodes.where(_episodes.c.project_id == bindparam("project_id"))
    .order_by(_episodes.c.id.desc())
    .limit(bindparam("limit"))
)
EPISODE_PAGE_AFTER = EPISODE_PAGE.where(_episodes.c.id < bindparam("after"))
EPISODE_FOR_SLOT = (
    _my_episodes.where(
        _episodes.c.project_id == bindparam("project_id"),
        _episodes.c.scheduled_for == bindparam("scheduled_for"),
    )
    .order_by(_episodes.c.id)
    .limit(1)
)
EPISODES_RECENT_WITH_STATUS = (
    _my_episodes.where(
        _episodes.c.project_id == bindparam("project_id"),
        _episodes.c.status == bindparam("status"),
    )
    .order_by(
        func.coalesce(_episodes.c.published_at, _episodes.c.created_at).desc(),
        _episodes.c.id.desc(),
    )
    .limit(bindparam("limit"))
)

_blocks = table_of(BlockRow)
BLOCKS_FOR_EPISODE = (
    select(_blocks)
    .where(_blocks.c.organization_id == ORG, _blocks.c.episode_id == bindparam("episode_id"))
    .order_by(_blocks.c.position, _blocks.c.id)
)

_queue = table_of(QueueItemRow)
_my_queue = select(_queue).where(_queue.c.organization_id == ORG)
QUEUE_ITEM = _my_queue.where(_queue.c.id == bindparam("id"))
QUEUE_ITEM_FOR_SLOT = _my_queue.where(
    _queue.c.project_id == bindparam("project_id"),
    _queue.c.scheduled_for == bindparam("scheduled_for"),
    _queue.c.status != QueueStatus.CANCELLED.value,
)
QUEUE_ITEMS_FOR_PROJECT = _my_queue.where(_queue.c.project_id == bindparam("project_id")).order_by(
    _queue.c.scheduled_for, _queue.c.id
)

_runs = table_of(GenerationRunRow)
RUN = select(_runs).where(_runs.c.organization_id == ORG, _runs.c.id == bindparam("id"))
RUN_LATEST_FOR_EPISODE = (
    select(_runs)
    .where(_runs.c.organization_id == ORG, _runs.c.episode_id == bindparam("episode_id"))
    .order_by(_runs.c.attempt.desc(), _runs.c.id.desc())
    .limit(1)
)

_daily_usage = table_of(TokenUsageDailyRow)
TOKEN_USAGE_DAILY = select(_daily_usage).where(
    _daily_usage.c.organization_id == ORG, _daily_usage.c.date == bindparam("day")
)

_notes = table_of(PlanningNoteRow)
PLANNING_NOTE = select(_notes).where(
    _notes.c.organization_id == ORG, _notes.c.id == bindparam("id")
)
PLANNING_NOTES_FOR_PROJECT = (
    select(_notes)
    .where(_notes.c.organization_id == ORG, _notes.c.project_id == bindparam("project_id"))
    .order_by(_notes.c.id)
)
PLANNING_NOTES_FOR_PROJECT_WITH_STATUS = PLANNING_NOTES_FOR_PROJECT.where(
    _notes.c.status == bindparam("status")
)

_memories = table_of(AgentMemoryRow)
AGENT_MEMORIES_FOR_PROJECT = (
    select(_memories)
    .where(_memories.c.organization_id == ORG, _memories.c.project_id == bindparam("project_id"))
    .order_by(_memories.c.id)
)

_events = table_of(UserEventRow)
EVENTS = select(_events).where(_events.c.organization_id == ORG).order_by(_events.c.id)
EVENTS_OF_TYPE = EVENTS.where(_events.c.event_type == bindparam("event_type"))

_audit_log = table_of(AuditLogRow)
_AUDIT_LOG_PAGE = (
    select(_audit_log)
    .where(_audit_log.c.organization_id == ORG)
    .order_by(_audit_log.c.id.desc())
    .limit(bindparam("limit"))
)
_AUDIT_LOG_FILTERS: dict[str, ColumnElement[bool]] = {
    "action": _audit_log.c.action == bindparam("action"),
    "resource_id": _audit_log.c.resource_id == bindparam("resource_id"),
    "since": _audit_log.c.created_at >= bindparam("since"),
    "until": _audit_log.c.created_at < bindparam("until"),
    "after": _audit_log.c.id < bindparam("after"),
}


@cache
def audit_log_page(filters: frozenset[str]) -> Select[Any]:
    """The page for the filters given, each of the 32 combinations built on first use.

    Prebuilding every combination by hand would be 32 names; an ``(:x IS NULL OR ...)``
    statement would be one, but would hide the filters from the planner.
    """
    unknown = filters - _AUDIT_LOG_FILTERS.keys()
    if unknown:
        raise ValueError(f"no audit log filter named {', '.join(sorted(unknown))}")
    return _AUDIT_LOG_PAGE.where(
        *(clause for name, clause in _AUDIT_LOG_FILTERS.items() if name in filters)
    )


_notifications = table_of(NotificationRow)
NOTIFICATIONS_FOR_USER = (
    select(_notifications)
    .where(
        _notifications.c.organization_id == ORG,
        _notifications.c.user_id == bindparam("user_id"),
    )
    .order_by(_notifications.c.id.desc())
)


@cache
def update_by_id(table: Table, versioned: bool = False) -> Update:
    """One row's UPDATE: ``:key_id`` in ``:org``, and at ``:loaded_version`` if versioned.

    No SET clause: SQLAlchemy builds it from the column-named parameters of each
    execution (and caches it per set of names). That is why the WHERE clause binds
    names no column has: a bind named after a column would be taken for its new value.
    """
    conditions = [table.c.id == bindparam("key_id")]
    if "organization_id" in table.c:
        conditions.append(table.c.organization_id == ORG)
    if versioned:
        conditions.append(table.c.version == bindparam("loaded_version"))
    return update(table).where(*conditions)
