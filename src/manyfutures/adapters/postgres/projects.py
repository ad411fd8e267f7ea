"""Projects in PostgreSQL: the ``projects`` table, with its cadence and memories."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    Index,
    Integer,
    Select,
    String,
    UniqueConstraint,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_ARRAY,
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    by_value,
    column_values,
    one_of,
    org_fk,
    table_of,
)
from manyfutures.adapters.postgres.repository import KEYS, ORG, Repository
from manyfutures.core.projects import ports
from manyfutures.core.projects.cadence import Cadence, CadenceMode
from manyfutures.core.projects.model import MemoryStorage, Project, ProjectMemory, ProjectStatus
from manyfutures.core.shared.errors import VersionConflictError

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
PROJECT_FOR_UPDATE = PROJECT.with_for_update()
# = ANY(array): one statement text for any number of ids, so it is prepared once.
PROJECTS_BY_ID = _live_projects.where(_projects.c.id == any_(bindparam("ids", type_=ID_ARRAY)))
PROJECT_PAGE = _live_projects.order_by(_projects.c.id.desc()).limit(bindparam("limit"))
PROJECT_PAGE_AFTER = PROJECT_PAGE.where(_projects.c.id < bindparam("after"))
ACTIVE_PROJECT_COUNT = select(func.count()).where(
    _projects.c.organization_id == ORG,
    _projects.c.deleted_at.is_(None),
    _projects.c.status == ProjectStatus.ACTIVE.value,
)
# Containment of a one-key object: the project whose JSON keeps that memory id.
PROJECT_WITH_MEMORY = _live_projects.where(
    _projects.c.memories.op("@>")(
        func.jsonb_build_array(func.jsonb_build_object("id", bindparam("memory_id", type_=String)))
    )
)
# Many projects' UPDATE as one statement: their rows as one JSON array, made records of the
# table's type by jsonb_populate_recordset, each matched at the version its unit of work read.
_given = (
    func.jsonb_populate_recordset(
        literal_column("NULL::projects"), cast(bindparam("rows", type_=String), JSONB)
    )
    .table_valued(*(c.key for c in _projects.c))
    .alias("given")
)
_read = (
    func.unnest(bindparam("ids", type_=ID_ARRAY), bindparam("versions", type_=ARRAY(Integer)))
    .table_valued("id", "version")
    .render_derived(with_types=False)
    .alias("read")
)
PROJECTS_UPDATE = (
    update(_projects)
    .values({c.key: _given.c[c.key] for c in _projects.c if c.key not in KEYS})
    .where(
        _projects.c.organization_id == ORG,
        _projects.c.id == _given.c.id,
        _projects.c.id == _read.c.id,
        _projects.c.version == _read.c.version,
    )
    .returning(_projects.c.id)
)
# Deleted projects included: it names the version that beat a failed update.
PROJECT_VERSION = select(_projects.c.version).where(
    _projects.c.organization_id == ORG, _projects.c.id == bindparam("id")
)


# --- mappers ------------------------------------------------------------------------------


def _json_scalar(value: object) -> str:
    """A row's times in ``PROJECTS_UPDATE``'s JSON, as PostgreSQL reads them back in; any
    other value JSON cannot hold is refused, as ``json.dumps`` refuses it."""
    if isinstance(value, dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no JSON form for PROJECTS_UPDATE")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def _memory_to_json(m: ProjectMemory) -> dict[str, Any]:
    # The keys are agent_memory's column names, so the move to the table is INSERT … SELECT.
    return {
        "id": m.id,
        "content": m.content,
        "memory_type": m.memory_type,
        "importance": m.importance,
        "created_at": _iso(m.created_at),
        "expires_at": _iso(m.expires_at),
    }


def legacy_memory_id(project_id: str, ordinal: int, content: str) -> str:
    """The id of a memory stored without one: the one migration ``memory_ids`` gave it
    (``'memory_' || left(md5(project id || ':' || ordinal || ':' || content), 26)``, 1-based
    ordinal). Only a release older than that migration writes one, during a rolling
    deploy; the next write of the project stores it."""
    digest = hashlib.md5(f"{project_id}:{ordinal}:{content}".encode(), usedforsecurity=False)
    return "memory_" + digest.hexdigest()[:26]


def _memory_from_json(project: ProjectRow, ordinal: int, d: dict[str, Any]) -> ProjectMemory:
    return ProjectMemory(
        id=d["id"] if "id" in d else legacy_memory_id(project.id, ordinal, d["content"]),
        content=d["content"],
        memory_type=d["memory_type"],
        importance=float(d["importance"]),
        # Only memories written before ids (migration memory_ids) may lack a time.
        created_at=_from_iso(d.get("created_at")) or project.created_at,
        expires_at=_from_iso(d.get("expires_at")),
    )


def _memories_from_json(r: ProjectRow) -> tuple[list[ProjectMemory], dt.timedelta]:
    """The memories, and how long turning the stored JSON into them took: a trigger for
    moving them to the table (core/projects/memory_migration.py)."""
    started = time.perf_counter()
    memories = [_memory_from_json(r, i, m) for i, m in enumerate(r.memories, start=1)]
    return memories, dt.timedelta(seconds=time.perf_counter() - started)


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


_CADENCE_MODES = by_value(CadenceMode)
_PROJECT_STATUSES = by_value(ProjectStatus)
_MEMORY_STORAGES = by_value(MemoryStorage)


def project_from_row(r: ProjectRow) -> Project:
    # The constructor, not Cadence.create: stored cadences were validated on the way in,
    # and re-validating would make a time zone dropped from tzdata unreadable.
    memories, parse_time = _memories_from_json(r)
    cadence = Cadence(
        mode=_CADENCE_MODES[r.cadence_mode],
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
        status=_PROJECT_STATUSES[r.status],
        next_scheduled_at=r.next_scheduled_at,
        memories=memories,
        memory_storage=_MEMORY_STORAGES[r.memory_storage],
        memories_parse_time=parse_time,
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
        deleted_by=r.deleted_by,
    )


# --- repositories -------------------------------------------------------------------------


class ProjectRepository(Repository, ports.ProjectRepository):
    """Optimistic locking: an update only lands on the version this unit of work read."""

    def add(self, project: Project) -> None:
        self._uow.insert(project_to_row(project))

    def get(self, project_id: str) -> Project | None:
        return self._read(PROJECT, project_id)

    def get_many(self, project_ids: Sequence[str]) -> Sequence[Project]:
        projects = [project_from_row(r) for r in self._uow.rows(PROJECTS_BY_ID, ids=project_ids)]
        for project in projects:
            self._uow.loaded_versions.setdefault(project.id, project.version)
        return projects

    def get_for_update(self, project_id: str) -> Project | None:
        """SELECT … FOR UPDATE: the row lock lasts until the transaction ends."""
        return self._read(PROJECT_FOR_UPDATE, project_id)

    def _read(self, statement: Select[Any], project_id: str) -> Project | None:
        rows = self._uow.rows(statement, id=project_id)
        if not rows:
            return None
        project = project_from_row(rows[0])
        self._uow.loaded_versions.setdefault(project.id, project.version)
        return project

    def find_by_memory_id(self, memory_id: str) -> Project | None:
        rows = self._uow.rows(PROJECT_WITH_MEMORY, memory_id=memory_id)
        return project_from_row(rows[0]) if rows else None

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        if after_id is None:
            rows = self._uow.rows(PROJECT_PAGE, limit=limit)
        else:
            rows = self._uow.rows(PROJECT_PAGE_AFTER, limit=limit, after=after_id)
        return [project_from_row(r) for r in rows]

    def count_active(self) -> int:
        return int(self._uow.rows(ACTIVE_PROJECT_COUNT)[0][0])

    def update(self, project: Project) -> None:
        loaded = self._uow.loaded_versions.get(project.id)
        if loaded is None:
            raise VersionConflictError("project", project.id, project.version, None)
        # The next update in this unit of work builds on this one's version.
        self._uow.loaded_versions[project.id] = project.version
        self._update(
            project_to_row(project),
            loaded_version=loaded,
            on_missing=lambda connection: VersionConflictError(
                "project", project.id, loaded, self._current_version(connection, project.id)
            ),
        )

    def update_many(self, projects: Sequence[Project]) -> None:
        """One UPDATE for all (``PROJECTS_UPDATE``); a project it did not match conflicts."""
        if not projects:
            return
        loaded: list[int] = []
        for project in projects:
            version = self._uow.loaded_versions.get(project.id)
            if version is None:
                raise VersionConflictError("project", project.id, project.version, None)
            loaded.append(version)
        rows = [column_values(project_to_row(project)) for project in projects]
        for row in rows:
            self._uow.check_tenant(_projects, row)
        for project in projects:
            self._uow.loaded_versions[project.id] = project.version
        parameters = {
            "rows": json.dumps(rows, default=_json_scalar),
            "ids": [project.id for project in projects],
            "versions": loaded,
            "org": self._org,
        }

        def run(connection: Connection) -> None:
            updated = set(connection.execute(PROJECTS_UPDATE, parameters).scalars())
            for project, version in zip(projects, loaded, strict=True):
                if project.id not in updated:
                    current = self._current_version(connection, project.id)
                    raise VersionConflictError("project", project.id, version, current)

        self._uow.later(run)

    def _current_version(self, connection: Connection, project_id: str) -> int | None:
        """For the error message: the version that won (None if the project is gone)."""
        parameters = {"org": self._org, "id": project_id}
        return connection.execute(PROJECT_VERSION, parameters).scalar_one_or_none()
