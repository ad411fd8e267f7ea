"""The in-memory unit of work and its repositories.

Reads see committed rows plus this unit of work's own staged writes; nothing
reaches the shared store until ``commit()``. Every tenant table is filtered by
the unit of work's organization, like row-level security in Postgres.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.episodes.episode import Block, Episode, EpisodeStatus
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    VersionConflictError,
)
from manyfutures.core.storage import StorageUnitOfWork

_DELETED: Any = object()  # staged marker: the row goes away on commit


class _Row(Protocol):
    id: str


RowT = TypeVar("RowT", bound=_Row)


class _Table(Generic[RowT]):
    """One table as this unit of work sees it."""

    def __init__(self, uow: InMemoryUnitOfWork, name: str, tenant_column: str | None) -> None:
        self._uow = uow
        self._name = name
        self._tenant_column = tenant_column

    def _visible(self, row: Any) -> bool:
        if self._tenant_column is None:
            return True
        return bool(getattr(row, self._tenant_column) == self._uow.organization_id)

    def get(self, row_id: str) -> RowT | None:
        staged = self._uow.staged[self._name]
        row = staged[row_id] if row_id in staged else self._uow.store.tables[self._name].get(row_id)
        if row is None or row is _DELETED or not self._visible(row):
            return None
        return copy.deepcopy(row)  # type: ignore[no-any-return]

    def rows(self) -> list[RowT]:
        merged = {**self._uow.store.tables[self._name], **self._uow.staged[self._name]}
        return [
            copy.deepcopy(row)
            for row in merged.values()
            if row is not _DELETED and self._visible(row)
        ]

    def put(self, row: RowT) -> None:
        if not self._visible(row):
            raise PermissionDeniedError(
                f"{self._name} row {row.id} belongs to another organization"
            )
        self._uow.staged[self._name][row.id] = copy.deepcopy(row)

    def insert(self, row: RowT) -> None:
        if row.id in self._uow.staged[self._name] or row.id in self._uow.store.tables[self._name]:
            raise DuplicateError(f"{self._name} {row.id} already exists")
        self.put(row)

    def update(self, row: RowT) -> None:
        if self.get(row.id) is None:
            raise NotFoundError(self._name, row.id)
        self.put(row)

    def delete(self, row: RowT) -> None:
        if self.get(row.id) is not None:
            self._uow.staged[self._name][row.id] = _DELETED


def _newest_first(rows: Iterable[RowT], limit: int, after_id: str | None) -> list[RowT]:
    ordered = sorted(rows, key=lambda row: row.id, reverse=True)
    if after_id is not None:
        ordered = [row for row in ordered if row.id < after_id]
    return ordered[:limit]


class _OrganizationRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: _Table[Organization] = _Table(uow, "organizations", "id")

    def add(self, organization: Organization) -> None:
        self._rows.insert(organization)

    def get(self) -> Organization | None:
        return self._rows.get(self._uow.organization_id)

    def update(self, organization: Organization) -> None:
        self._rows.update(organization)


class _UserRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[User] = _Table(uow, "users", None)

    def add(self, user: User) -> None:
        self._rows.insert(user)

    def get(self, user_id: str) -> User | None:
        return self._rows.get(user_id)

    def update(self, user: User) -> None:
        self._rows.update(user)


class _MembershipRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[Membership] = _Table(uow, "memberships", "organization_id")

    def add(self, membership: Membership) -> None:
        if self.get_for_user(membership.user_id) is not None:
            raise DuplicateError(f"user {membership.user_id} is already a member")
        self._rows.insert(membership)

    def get_for_user(self, user_id: str) -> Membership | None:
        return next((m for m in self._rows.rows() if m.user_id == user_id), None)

    def update(self, membership: Membership) -> None:
        self._rows.update(membership)

    def remove(self, user_id: str) -> bool:
        membership = self.get_for_user(user_id)
        if membership is None:
            return False
        self._rows.delete(membership)
        return True


class _ProjectRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: _Table[Project] = _Table(uow, "projects", "organization_id")

    def add(self, project: Project) -> None:
        self._rows.insert(project)

    def get(self, project_id: str) -> Project | None:
        project = self._rows.get(project_id)
        if project is None or project.is_deleted:
            return None
        self._uow.loaded_versions.setdefault(project.id, project.version)
        return project

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        live = (p for p in self._rows.rows() if not p.is_deleted)
        return _newest_first(live, limit, after_id)

    def update(self, project: Project) -> None:
        if project.id not in self._uow.loaded_versions:
            raise VersionConflictError("project", project.id, project.version, None)
        self._rows.update(project)


class _EpisodeRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[Episode] = _Table(uow, "episodes", "organization_id")

    def add(self, episode: Episode) -> None:
        self._rows.insert(episode)

    def get(self, episode_id: str) -> Episode | None:
        return self._rows.get(episode_id)

    def update(self, episode: Episode) -> None:
        self._rows.update(episode)

    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        mine = (e for e in self._rows.rows() if e.project_id == project_id)
        return _newest_first(mine, limit, after_id)

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> Episode | None:
        matches = [
            e
            for e in self._rows.rows()
            if e.project_id == project_id and e.scheduled_for == scheduled_for
        ]
        return min(matches, key=lambda e: e.id, default=None)

    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]:
        mine = [e for e in self._rows.rows() if e.project_id == project_id and e.status is status]
        mine.sort(key=lambda e: (e.published_at or e.created_at, e.id), reverse=True)
        return mine[:limit]


class _BlockRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[Block] = _Table(uow, "blocks", "organization_id")

    def add(self, block: Block) -> None:
        self._rows.insert(block)

    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        mine = [b for b in self._rows.rows() if b.episode_id == episode_id]
        return sorted(mine, key=lambda b: (b.position, b.id))


class _QueueRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[ScheduleQueueItem] = _Table(
            uow, "episode_schedule_queue", "organization_id"
        )

    def add(self, item: ScheduleQueueItem) -> None:
        if self.find_for_slot(item.project_id, item.scheduled_for) is not None:
            raise DuplicateError(
                f"project {item.project_id} already has a queue item for {item.scheduled_for}"
            )
        self._rows.insert(item)

    def get(self, item_id: str) -> ScheduleQueueItem | None:
        return self._rows.get(item_id)

    def update(self, item: ScheduleQueueItem) -> None:
        self._rows.update(item)

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> ScheduleQueueItem | None:
        return next(
            (
                i
                for i in self._rows.rows()
                if i.project_id == project_id
                and i.scheduled_for == scheduled_for
                and i.status is not QueueStatus.CANCELLED
            ),
            None,
        )

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        mine = [i for i in self._rows.rows() if i.project_id == project_id]
        return sorted(mine, key=lambda i: (i.scheduled_for, i.id))


class _RunRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[GenerationRun] = _Table(uow, "generation_runs", "organization_id")

    def add(self, run: GenerationRun) -> None:
        self._rows.insert(run)

    def get(self, run_id: str) -> GenerationRun | None:
        return self._rows.get(run_id)

    def update(self, run: GenerationRun) -> None:
        self._rows.update(run)

    def latest_for_episode(self, episode_id: str) -> GenerationRun | None:
        mine = [r for r in self._rows.rows() if r.episode_id == episode_id]
        return max(mine, key=lambda r: (r.attempt, r.id), default=None)


class _TokenUsageRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: _Table[TokenUsage] = _Table(uow, "token_usage", "organization_id")

    def add(self, usage: TokenUsage) -> None:
        self._rows.insert(usage)

    def daily(self, day: date) -> TokenUsageDaily | None:
        committed = self._uow.store.daily_usage.get((self._uow.organization_id, day))
        aggregate = copy.deepcopy(committed)
        for usage in self._uow.staged["token_usage"].values():
            if (
                usage.organization_id == self._uow.organization_id
                and usage.created_at.date() == day
            ):
                aggregate = fold_usage(self._uow.store, aggregate, usage, self._uow.staged)
        return aggregate


def fold_usage(
    store: InMemoryStore,
    aggregate: TokenUsageDaily | None,
    usage: TokenUsage,
    staged: dict[str, dict[str, Any]] | None = None,
) -> TokenUsageDaily:
    """The fake's version of the Postgres trigger on token_usage."""
    if aggregate is None:
        aggregate = TokenUsageDaily(
            organization_id=usage.organization_id,
            date=usage.created_at.date(),
            last_updated=usage.created_at,
        )
    rows = {**store.tables["token_usage"], **(staged or {}).get("token_usage", {})}
    first = usage.episode_id is not None and not any(
        other.episode_id == usage.episode_id
        and other.created_at.date() == usage.created_at.date()
        and other.id < usage.id
        for other in rows.values()
    )
    aggregate.add(usage, first_for_episode=first)
    return aggregate


class _PlanningNoteRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[PlanningNote] = _Table(uow, "planning_notes", "organization_id")

    def add(self, note: PlanningNote) -> None:
        self._rows.insert(note)

    def get(self, note_id: str) -> PlanningNote | None:
        return self._rows.get(note_id)

    def update(self, note: PlanningNote) -> None:
        self._rows.update(note)

    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        mine = [
            n
            for n in self._rows.rows()
            if n.project_id == project_id and (status is None or n.status is status)
        ]
        return sorted(mine, key=lambda n: n.id)


class _AgentMemoryRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._rows: _Table[AgentMemory] = _Table(uow, "agent_memory", "organization_id")

    def add(self, memory: AgentMemory) -> None:
        self._rows.insert(memory)

    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]:
        return sorted(
            (m for m in self._rows.rows() if m.project_id == project_id), key=lambda m: m.id
        )


class _AppendOnly(Generic[RowT]):
    def __init__(self, uow: InMemoryUnitOfWork, name: str) -> None:
        self._rows: _Table[RowT] = _Table(uow, name, "organization_id")

    def add(self, row: RowT) -> None:
        self._rows.insert(row)

    def _oldest_first(self, keep: Callable[[RowT], bool]) -> list[RowT]:
        return sorted((r for r in self._rows.rows() if keep(r)), key=lambda r: r.id)


class _UserEventRepository(_AppendOnly[UserEvent]):
    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        return self._oldest_first(lambda e: event_type is None or e.event_type == event_type)


class _AuditLogRepository(_AppendOnly[AuditLog]):
    def list(
        self,
        action: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        after_id: str | None = None,
    ) -> Sequence[AuditLog]:
        matching = (
            a
            for a in self._rows.rows()
            if (action is None or a.action == action)
            and (resource_id is None or a.resource_id == resource_id)
            and (since is None or a.created_at >= since)
            and (until is None or a.created_at < until)
        )
        return _newest_first(matching, limit, after_id)


class _NotificationRepository(_AppendOnly[Notification]):
    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        return list(reversed(self._oldest_first(lambda n: n.user_id == user_id)))


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore, organization_id: str) -> None:
        self.store = store
        self.organization_id = organization_id
        self.staged: dict[str, dict[str, Any]] = {name: {} for name in _TABLES}
        self.loaded_versions: dict[str, int] = {}
        self.organizations = _OrganizationRepository(self)
        self.users = _UserRepository(self)
        self.memberships = _MembershipRepository(self)
        self.projects = _ProjectRepository(self)
        self.episodes = _EpisodeRepository(self)
        self.blocks = _BlockRepository(self)
        self.queue = _QueueRepository(self)
        self.runs = _RunRepository(self)
        self.token_usage = _TokenUsageRepository(self)
        self.planning_notes = _PlanningNoteRepository(self)
        self.agent_memories = _AgentMemoryRepository(self)
        self.events = _UserEventRepository(self, "user_events")
        self.audit_log = _AuditLogRepository(self, "audit_log")
        self.notifications = _NotificationRepository(self, "notifications")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        with self.store.lock:
            self._check_versions()
            self._check_slots()
            for usage in sorted(self.staged["token_usage"].values(), key=lambda u: u.id):
                key = (usage.organization_id, usage.created_at.date())
                self.store.tables["token_usage"][usage.id] = usage
                self.store.daily_usage[key] = fold_usage(
                    self.store, self.store.daily_usage.get(key), usage
                )
            for name, rows in self.staged.items():
                if name == "token_usage":
                    continue
                table = self.store.tables[name]
                for row_id, row in rows.items():
                    if row is _DELETED:
                        table.pop(row_id, None)
                    else:
                        table[row_id] = row
        self.rollback()

    def rollback(self) -> None:
        self.staged = {name: {} for name in _TABLES}
        self.loaded_versions = {}

    def _check_versions(self) -> None:
        for project_id, loaded in self.loaded_versions.items():
            if project_id not in self.staged["projects"]:
                continue
            stored = self.store.tables["projects"].get(project_id)
            if stored is not None and stored.version != loaded:
                raise VersionConflictError("project", project_id, loaded, stored.version)

    def _check_slots(self) -> None:
        live = {
            (i.project_id, i.scheduled_for): i.id
            for i in self.store.tables["episode_schedule_queue"].values()
            if i.status is not QueueStatus.CANCELLED
        }
        for item in self.staged["episode_schedule_queue"].values():
            if item.status is QueueStatus.CANCELLED:
                continue
            owner = live.get((item.project_id, item.scheduled_for))
            if owner is not None and owner != item.id:
                raise DuplicateError(
                    f"project {item.project_id} already has a queue item for {item.scheduled_for}"
                )


_TABLES = (
    "organizations",
    "users",
    "memberships",
    "projects",
    "episodes",
    "blocks",
    "episode_schedule_queue",
    "generation_runs",
    "token_usage",
    "planning_notes",
    "agent_memory",
    "user_events",
    "audit_log",
    "notifications",
)


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __call__(self, organization_id: str) -> StorageUnitOfWork:
        return InMemoryUnitOfWork(self._store, organization_id)
