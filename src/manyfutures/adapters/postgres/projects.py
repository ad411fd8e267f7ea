"""Projects in PostgreSQL: the ``projects`` table, with its cadence and memories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, bindparam, select, text
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    table_of,
)
from manyfutures.adapters.postgres.repository import ORG
from manyfutures.core.projects.cadence import Cadence, CadenceMode
from manyfutures.core.projects.model import MemoryStorage, Project, ProjectMemory, ProjectStatus

# --- rows ---------------------------------------------------------------------------------


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


# --- statements ---------------------------------------------------------------------------

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


# --- mappers ------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


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
