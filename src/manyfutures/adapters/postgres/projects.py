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
from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.projects.model import MemoryStorage, ProjectStatus

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
