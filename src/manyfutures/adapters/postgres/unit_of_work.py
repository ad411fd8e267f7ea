"""The PostgreSQL unit of work: one connection and transaction, scoped to one organization.

Tenant scope. Every transaction the unit of work begins, including the fresh one
after a ``commit()`` or ``rollback()`` when a unit of work is reused, starts with
``SELECT set_config('app.current_org_id', :org, true)``. The ``true`` makes the
setting transaction-local: a session-level ``SET`` would stay on the pooled
connection and leak the tenant into the next request that borrows it. Row-level
security then limits every statement to that organization; the repositories
*also* filter by ``organization_id`` (so indexes that lead with it are used) and
refuse, in Python, to write another organization's row — the policies' WITH
CHECK is defence in depth, not the first line.

Writes are staged and sent in order at the next read or at ``commit()`` (the
same "read your own writes, keep nothing without commit" contract as the
in-memory adapter). Deferring them means two open units of work inserting the
same schedule slot do not block each other on the unique index until one of them
commits; the loser then gets ``DuplicateError``. An error while sending rolls the
whole transaction back: the unit of work is clean again, as after ``rollback()``.

Liveness. Pooled connections are not pinged at checkout (a round trip on every
request); the tenant-scoping statement, always sent first, doubles as the check and
is retried once on a fresh connection if the pooled one was dead
(``engine.live_connection``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    text,
)
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import DBAPIError

from manyfutures.adapters.postgres import (
    activity,
    costs,
    episodes,
    feedback,
    generation,
    identity,
    projects,
    scheduling,
)
from manyfutures.adapters.postgres.base import Base, column_values, table_of, tenant_column
from manyfutures.adapters.postgres.engine import live_connection
from manyfutures.adapters.postgres.repository import update_by_id
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.episodes.episode import Block, Episode, EpisodeStatus
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    VersionConflictError,
)
from manyfutures.core.storage import StorageUnitOfWork

T = TypeVar("T")
SET_TENANT = text("SELECT set_config('app.current_org_id', :org, true)")
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"
# Never in an UPDATE's SET: a row keeps its id and its organization.
_KEYS = frozenset({"id", "organization_id"})


def map_database_error(error: DBAPIError) -> Exception | None:
    """The domain error a database refusal means, or None if it is a bug to surface.

    A privilege or row-level security refusal (42501) is always a bug, since
    ``check_tenant`` refuses cross-tenant writes first: it stays a server error that
    monitoring sees, never a 403 that blames the client.
    """
    code = getattr(error.orig, "sqlstate", None)
    detail = str(getattr(getattr(error.orig, "diag", None), "message_detail", "") or error.orig)
    if code == _UNIQUE_VIOLATION:
        return DuplicateError(detail)
    if code == _FOREIGN_KEY_VIOLATION:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        return NotFoundError("referenced row", str(constraint or detail))
    return None


@dataclass
class _Insert:
    table: Table
    rows: list[dict[str, Any]] = field(default_factory=list)

    def run(self, connection: Connection) -> None:
        connection.execute(sa_insert(self.table), self.rows)


@dataclass
class _Call:
    action: Callable[[Connection], None]

    def run(self, connection: Connection) -> None:
        self.action(connection)


class PostgresUnitOfWork:
    def __init__(self, engine: Engine, organization_id: str) -> None:
        self.organization_id = organization_id
        self._engine = engine
        self._open: Connection | None = None
        self._staged: list[_Insert | _Call] = []
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
        self.events = _UserEventRepository(self)
        self.audit_log = _AuditLogRepository(self)
        self.notifications = _NotificationRepository(self)

    # --- the protocol ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            if self._open is not None:
                self._open.close()
                self._open = None

    def commit(self) -> None:
        self.flush()
        if self._open is not None:
            self._run(self._open.commit)
        self.loaded_versions = {}

    def rollback(self) -> None:
        self._staged = []
        self.loaded_versions = {}
        if self._open is not None:
            self._open.rollback()

    # --- for the repositories ---------------------------------------------------------------

    def flush(self) -> None:
        """Send staged writes, in the order they were made."""
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        connection = self._run(self._scoped_connection)
        for write in staged:
            self._run(partial(write.run, connection))

    def insert(self, row: Base) -> None:
        table = table_of(row)
        values = column_values(row)
        self.check_tenant(table, values)
        last = self._staged[-1] if self._staged else None
        if not isinstance(last, _Insert) or last.table is not table:
            last = _Insert(table)
            self._staged.append(last)
        last.rows.append(values)

    def later(self, action: Callable[[Connection], None]) -> None:
        self._staged.append(_Call(action))

    def now(self, action: Callable[[Connection], T]) -> T:
        """Run a statement right away, after whatever is staged."""
        self.flush()
        connection = self._run(self._scoped_connection)
        return self._run(partial(action, connection))

    def rows(self, statement: Select[Any], **parameters: Any) -> Sequence[Any]:
        """Run a prebuilt statement (a capability module's) for this organization's ``:org``.

        The rows are Core rows, not ORM instances: no identity map, so a row read twice
        always reflects the writes sent in between. They answer the same column
        attributes as the mapped class, which is all the mappers read.
        """
        parameters["org"] = self.organization_id
        return self.now(lambda connection: connection.execute(statement, parameters).all())

    def first(
        self, statement: Select[Any], mapper: Callable[[Any], T], **parameters: Any
    ) -> T | None:
        """The first row a prebuilt statement matches, mapped; None if it matches none."""
        rows = self.rows(statement, **parameters)
        return mapper(rows[0]) if rows else None

    def check_tenant(self, table: Table, values: dict[str, Any]) -> None:
        """Every write passes here: refused in Python before row-level security has to."""
        column = tenant_column(table.name)
        if column is not None and values[column] != self.organization_id:
            raise PermissionDeniedError(
                f"{table.name} row {values['id']} belongs to another organization"
            )

    def _scoped_connection(self) -> Connection:
        """The connection, inside a transaction already scoped to this organization."""
        if self._open is None:
            self._open = live_connection(self._engine, SET_TENANT, {"org": self.organization_id})
        elif not self._open.in_transaction():
            self._open.execute(SET_TENANT, {"org": self.organization_id})
        return self._open

    def _run(self, action: Callable[[], T]) -> T:
        """Any failure rolls the whole transaction back, so no half of it can be committed."""
        try:
            return action()
        except DBAPIError as error:
            mapped = map_database_error(error)
            self.rollback()
            if mapped is None:
                raise
            raise mapped from error
        except BaseException:
            self.rollback()
            raise


class PostgresUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, organization_id: str) -> StorageUnitOfWork:
        return PostgresUnitOfWork(self._engine, organization_id)


# --- repositories ---------------------------------------------------------------------------


class _Repository:
    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _org(self) -> str:
        return self._uow.organization_id

    def _update(
        self,
        row: Base,
        *,
        loaded_version: int | None = None,
        on_missing: Callable[[Connection], Exception],
    ) -> None:
        """Stage an UPDATE of every column but the keys; fail if it matched no row.

        With ``loaded_version``, only the row still at that version matches.
        """
        table = table_of(row)
        values = column_values(row)
        self._uow.check_tenant(table, values)
        statement = update_by_id(table, versioned=loaded_version is not None)
        parameters = {name: value for name, value in values.items() if name not in _KEYS}
        parameters.update(key_id=values["id"], org=self._org)
        if loaded_version is not None:
            parameters["loaded_version"] = loaded_version

        def run(connection: Connection) -> None:
            if connection.execute(statement, parameters).rowcount != 1:
                raise on_missing(connection)

        self._uow.later(run)


class _OrganizationRepository(_Repository):
    def add(self, organization: Organization) -> None:
        self._uow.insert(identity.organization_to_row(organization))

    def get(self) -> Organization | None:
        return self._uow.first(identity.ORGANIZATION, identity.organization_from_row)

    def update(self, organization: Organization) -> None:
        self._update(
            identity.organization_to_row(organization),
            on_missing=lambda _: NotFoundError("organization", organization.id),
        )


class _UserRepository(_Repository):
    def add(self, user: User) -> None:
        self._uow.insert(identity.user_to_row(user))

    def get(self, user_id: str) -> User | None:
        return self._uow.first(identity.USER, identity.user_from_row, id=user_id)

    def update(self, user: User) -> None:
        self._update(
            identity.user_to_row(user), on_missing=lambda _: NotFoundError("user", user.id)
        )


class _MembershipRepository(_Repository):
    def add(self, membership: Membership) -> None:
        self._uow.insert(identity.membership_to_row(membership))

    def get_for_user(self, user_id: str) -> Membership | None:
        return self._uow.first(
            identity.MEMBERSHIP_FOR_USER, identity.membership_from_row, user_id=user_id
        )

    def update(self, membership: Membership) -> None:
        self._update(
            identity.membership_to_row(membership),
            on_missing=lambda _: NotFoundError("membership", membership.id),
        )

    def remove(self, user_id: str) -> bool:
        parameters = {"org": self._org, "user_id": user_id}
        return self._uow.now(
            lambda connection: (
                connection.execute(identity.MEMBERSHIP_DELETE, parameters).rowcount > 0
            )
        )


class _ProjectRepository(_Repository):
    """Optimistic locking: an update only lands on the version this unit of work read."""

    def add(self, project: Project) -> None:
        self._uow.insert(projects.project_to_row(project))

    def get(self, project_id: str) -> Project | None:
        rows = self._uow.rows(projects.PROJECT, id=project_id)
        if not rows:
            return None
        project = projects.project_from_row(rows[0])
        self._uow.loaded_versions.setdefault(project.id, project.version)
        return project

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        if after_id is None:
            rows = self._uow.rows(projects.PROJECT_PAGE, limit=limit)
        else:
            rows = self._uow.rows(projects.PROJECT_PAGE_AFTER, limit=limit, after=after_id)
        return [projects.project_from_row(r) for r in rows]

    def update(self, project: Project) -> None:
        loaded = self._uow.loaded_versions.get(project.id)
        if loaded is None:
            raise VersionConflictError("project", project.id, project.version, None)
        # The next update in this unit of work builds on this one's version.
        self._uow.loaded_versions[project.id] = project.version
        self._update(
            projects.project_to_row(project),
            loaded_version=loaded,
            on_missing=lambda connection: VersionConflictError(
                "project", project.id, loaded, self._current_version(connection, project.id)
            ),
        )

    def _current_version(self, connection: Connection, project_id: str) -> int | None:
        """For the error message: the version that won (None if the project is gone)."""
        parameters = {"org": self._org, "id": project_id}
        return connection.execute(projects.PROJECT_VERSION, parameters).scalar_one_or_none()


class _EpisodeRepository(_Repository):
    def add(self, episode: Episode) -> None:
        self._uow.insert(episodes.episode_to_row(episode))

    def get(self, episode_id: str) -> Episode | None:
        return self._uow.first(episodes.EPISODE, episodes.episode_from_row, id=episode_id)

    def update(self, episode: Episode) -> None:
        self._update(
            episodes.episode_to_row(episode),
            on_missing=lambda _: NotFoundError("episode", episode.id),
        )

    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        if after_id is None:
            rows = self._uow.rows(episodes.EPISODE_PAGE, project_id=project_id, limit=limit)
        else:
            rows = self._uow.rows(
                episodes.EPISODE_PAGE_AFTER, project_id=project_id, limit=limit, after=after_id
            )
        return [episodes.episode_from_row(r) for r in rows]

    def find_for_slot(self, project_id: str, scheduled_for: dt.datetime) -> Episode | None:
        return self._uow.first(
            episodes.EPISODE_FOR_SLOT,
            episodes.episode_from_row,
            project_id=project_id,
            scheduled_for=scheduled_for,
        )

    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]:
        rows = self._uow.rows(
            episodes.EPISODES_RECENT_WITH_STATUS,
            project_id=project_id,
            status=status.value,
            limit=limit,
        )
        return [episodes.episode_from_row(r) for r in rows]


class _BlockRepository(_Repository):
    def add(self, block: Block) -> None:
        self._uow.insert(episodes.block_to_row(block))

    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        rows = self._uow.rows(episodes.BLOCKS_FOR_EPISODE, episode_id=episode_id)
        return [episodes.block_from_row(r) for r in rows]


class _QueueRepository(_Repository):
    def add(self, item: ScheduleQueueItem) -> None:
        """A second live item for the slot fails on the partial unique index."""
        self._uow.insert(scheduling.queue_item_to_row(item))

    def get(self, item_id: str) -> ScheduleQueueItem | None:
        return self._uow.first(scheduling.QUEUE_ITEM, scheduling.queue_item_from_row, id=item_id)

    def update(self, item: ScheduleQueueItem) -> None:
        self._update(
            scheduling.queue_item_to_row(item),
            on_missing=lambda _: NotFoundError("queue item", item.id),
        )

    def find_for_slot(
        self, project_id: str, scheduled_for: dt.datetime
    ) -> ScheduleQueueItem | None:
        return self._uow.first(
            scheduling.QUEUE_ITEM_FOR_SLOT,
            scheduling.queue_item_from_row,
            project_id=project_id,
            scheduled_for=scheduled_for,
        )

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        rows = self._uow.rows(scheduling.QUEUE_ITEMS_FOR_PROJECT, project_id=project_id)
        return [scheduling.queue_item_from_row(r) for r in rows]


class _RunRepository(_Repository):
    def add(self, run: GenerationRun) -> None:
        self._uow.insert(generation.run_to_row(run))

    def get(self, run_id: str) -> GenerationRun | None:
        return self._uow.first(generation.RUN, generation.run_from_row, id=run_id)

    def update(self, run: GenerationRun) -> None:
        self._update(
            generation.run_to_row(run),
            on_missing=lambda _: NotFoundError("generation run", run.id),
        )

    def latest_for_episode(self, episode_id: str) -> GenerationRun | None:
        return self._uow.first(
            generation.RUN_LATEST_FOR_EPISODE, generation.run_from_row, episode_id=episode_id
        )


class _TokenUsageRepository(_Repository):
    def add(self, usage: TokenUsage) -> None:
        """The trigger on token_usage updates the daily aggregate in the same transaction."""
        self._uow.insert(costs.usage_to_row(usage))

    def daily(self, day: dt.date) -> TokenUsageDaily | None:
        return self._uow.first(costs.TOKEN_USAGE_DAILY, costs.daily_from_row, day=day)


class _PlanningNoteRepository(_Repository):
    def add(self, note: PlanningNote) -> None:
        self._uow.insert(feedback.note_to_row(note))

    def get(self, note_id: str) -> PlanningNote | None:
        return self._uow.first(feedback.PLANNING_NOTE, feedback.note_from_row, id=note_id)

    def update(self, note: PlanningNote) -> None:
        self._update(
            feedback.note_to_row(note),
            on_missing=lambda _: NotFoundError("planning note", note.id),
        )

    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        if status is None:
            rows = self._uow.rows(feedback.PLANNING_NOTES_FOR_PROJECT, project_id=project_id)
        else:
            rows = self._uow.rows(
                feedback.PLANNING_NOTES_FOR_PROJECT_WITH_STATUS,
                project_id=project_id,
                status=status.value,
            )
        return [feedback.note_from_row(r) for r in rows]


class _AgentMemoryRepository(_Repository):
    def add(self, memory: AgentMemory) -> None:
        self._uow.insert(feedback.memory_to_row(memory))

    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]:
        rows = self._uow.rows(feedback.AGENT_MEMORIES_FOR_PROJECT, project_id=project_id)
        return [feedback.memory_from_row(r) for r in rows]


class _UserEventRepository(_Repository):
    def add(self, event: UserEvent) -> None:
        self._uow.insert(activity.event_to_row(event))

    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        """Oldest first."""
        if event_type is None:
            rows = self._uow.rows(activity.EVENTS)
        else:
            rows = self._uow.rows(activity.EVENTS_OF_TYPE, event_type=event_type)
        return [activity.event_from_row(r) for r in rows]


class _AuditLogRepository(_Repository):
    def add(self, entry: AuditLog) -> None:
        self._uow.insert(activity.audit_to_row(entry))

    def list(
        self,
        action: str | None = None,
        resource_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 100,
        after_id: str | None = None,
    ) -> Sequence[AuditLog]:
        """Newest first, like the in-memory adapter and the contract suite."""
        filters = {
            name: value
            for name, value in (
                ("action", action),
                ("resource_id", resource_id),
                ("since", since),
                ("until", until),
                ("after", after_id),
            )
            if value is not None
        }
        statement = activity.audit_log_page(frozenset(filters))
        rows = self._uow.rows(statement, limit=limit, **filters)
        return [activity.audit_from_row(r) for r in rows]


class _NotificationRepository(_Repository):
    def add(self, notification: Notification) -> None:
        self._uow.insert(activity.notification_to_row(notification))

    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        """Newest first."""
        rows = self._uow.rows(activity.NOTIFICATIONS_FOR_USER, user_id=user_id)
        return [activity.notification_from_row(r) for r in rows]
