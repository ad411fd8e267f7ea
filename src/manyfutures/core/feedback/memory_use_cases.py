"""Memory use cases: a reader adds, lists, searches and deletes a project's memories;
operators and the daily check move a project's memories from JSON to the table.

Every write evaluates the migration triggers (core/projects/memory_migration.py) and
moves the project in the same transaction when one holds. A search never moves
anything: on a JSON project it records that a search was needed (an event), and the
daily check, which evaluates the same triggers, acts on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from manyfutures.core.activity.event_types import MEMORIES_MIGRATED, MEMORY_SEARCH_REQUESTED
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.feedback.memories import (
    Memory,
    forget,
    memories_of,
    move_to_table,
    reasons_to_move,
    search_requested,
    shown,
    store,
    validate_new_memory,
    validate_query,
)
from manyfutures.core.feedback.ports import (
    FeedbackUnitOfWork,
    JsonMemoryProject,
    MemoryStoreGateway,
)
from manyfutures.core.projects.memory_migration import MigrationReason
from manyfutures.core.projects.model import MemoryStorage, Project
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)


class _Migrating(UseCase[FeedbackUnitOfWork]):
    """A use case that evaluates the time trigger, so it knows the launch date."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[FeedbackUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        launched_on: date | None,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._launched_on = launched_on

    def _move_if_due(
        self, uow: FeedbackUnitOfWork, record: Recorder, project: Project, now: datetime
    ) -> None:
        reasons = reasons_to_move(uow, project, now, self._launched_on)
        if reasons:
            moved = move_to_table(uow, project, now)
            record.event(MEMORIES_MIGRATED, _migrated(project, moved, reasons, "write"))


def _migrated(
    project: Project, moved: int, reasons: Sequence[MigrationReason], by: str
) -> dict[str, object]:
    return {"projectId": project.id, "moved": moved, "reasons": list(reasons), "by": by}


@dataclass(frozen=True, slots=True)
class CreateMemoryCommand:
    actor: Actor
    project_id: str
    content: str
    memory_type: str
    importance: float
    expires_at: datetime | None = None


class CreateMemory(_Migrating):
    """Any member of the organization may add a memory to its projects."""

    def __call__(self, command: CreateMemoryCommand) -> Memory:
        now = self._clock.now()
        new = validate_new_memory(
            command.content, command.memory_type, command.importance, command.expires_at, now
        )
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            # Held until commit: a concurrent write or migration of the project waits.
            project = load_project(uow, command.project_id, locked=True)
            memory = Memory(
                id=self._ids.new_id("memory"),
                project_id=project.id,
                content=new.content,
                memory_type=new.memory_type,
                importance=new.importance,
                created_at=now,
                expires_at=new.expires_at,
            )
            store(uow, project, memory, now)
            record.audit("memory.create", "memory", memory.id, new=memory.content)
            self._move_if_due(uow, record, project, now)
            uow.commit()
            return memory


@dataclass(frozen=True, slots=True)
class ListMemoriesQuery:
    actor: Actor
    project_id: str
    query: str | None = None


class ListMemories(UseCase[FeedbackUnitOfWork]):
    """Live memories, most important first; ``query`` searches their content.

    A search of a project still on JSON records, once, that a search was needed.
    """

    def __call__(self, query: ListMemoriesQuery) -> list[Memory]:
        text = validate_query(query.query) if query.query is not None else None
        now = self._clock.now()
        with self._uow(query.actor.organization_id) as uow:
            project = load_project(uow, query.project_id)
            memories = shown(memories_of(uow, project), now, text)
            if (
                text is not None
                and project.memory_storage is MemoryStorage.JSON
                and not search_requested(uow, project.id)
            ):
                record = Recorder(uow, self._ids, query.actor.user_id, now)
                record.event(MEMORY_SEARCH_REQUESTED, {"projectId": project.id})
                uow.commit()
            return memories


@dataclass(frozen=True, slots=True)
class DeleteMemoryCommand:
    actor: Actor
    memory_id: str


class DeleteMemory(_Migrating):
    """Any member may delete one of the organization's memories, expired or not."""

    def __call__(self, command: DeleteMemoryCommand) -> None:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            in_table = uow.agent_memories.get(command.memory_id)
            owner = (
                in_table.project_id
                if in_table is not None
                else _project_id(uow.projects.find_by_memory_id(command.memory_id))
            )
            if owner is None:
                raise NotFoundError("memory", command.memory_id)
            # Found again under the project's lock: it may have moved store meanwhile.
            project = load_project(uow, owner, locked=True)
            memory = next((m for m in memories_of(uow, project) if m.id == command.memory_id), None)
            if memory is None:
                raise NotFoundError("memory", command.memory_id)
            forget(uow, project, memory, now)
            record.audit("memory.delete", "memory", memory.id, old=memory.content)
            self._move_if_due(uow, record, project, now)
            uow.commit()


def _project_id(project: Project | None) -> str | None:
    return project.id if project is not None else None


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    project_id: str
    moved: int
    reasons: tuple[MigrationReason, ...]
    migrated: bool
    """False if nothing was (or, in a dry run, would be) moved: the project is already on
    the table, gone, or (unforced) crosses no trigger."""


@dataclass(frozen=True, slots=True)
class MigrateMemoriesCommand:
    organization_id: str
    project_id: str
    # An operator's command moves the project whatever the triggers say; the daily check
    # moves only a project that crossed one.
    forced: bool
    dry_run: bool = False
    # Called inside the transaction, after the count check and before the commit
    # (``manyfutures memories migrate --step``).
    before_commit: Callable[[MigrationOutcome], None] | None = None


class MigrateProjectMemories(_Migrating):
    """Move one project's JSON memories into agent_memory; running it again is a no-op."""

    def __call__(self, command: MigrateMemoriesCommand) -> MigrationOutcome:
        now = self._clock.now()
        # Evaluated unheld first: the daily check visits every project on JSON, and most
        # cross no trigger, so only one that does is locked (and evaluated again, held).
        if not (command.forced or self._due(command, now)):
            return MigrationOutcome(command.project_id, 0, (), migrated=False)
        with self._uow(command.organization_id) as uow:
            project = uow.projects.get_for_update(command.project_id)
            if project is None or project.memory_storage is MemoryStorage.TABLE:
                return MigrationOutcome(command.project_id, 0, (), migrated=False)
            reasons = tuple(reasons_to_move(uow, project, now, self._launched_on))
            if not (reasons or command.forced):
                return MigrationOutcome(project.id, 0, reasons, migrated=False)
            if command.dry_run:
                return MigrationOutcome(project.id, len(project.memories), reasons, migrated=True)
            moved = move_to_table(uow, project, now)
            by = "operator" if command.forced else "daily check"
            Recorder(uow, self._ids, None, now).event(
                MEMORIES_MIGRATED, _migrated(project, moved, reasons, by)
            )
            outcome = MigrationOutcome(project.id, moved, reasons, migrated=True)
            if command.before_commit is not None:
                command.before_commit(outcome)
            uow.commit()
            return outcome

    def _due(self, command: MigrateMemoriesCommand, now: datetime) -> bool:
        with self._uow(command.organization_id) as uow:
            project = uow.projects.get(command.project_id)
            return project is not None and bool(
                reasons_to_move(uow, project, now, self._launched_on)
            )


def _projects_on_json(gateway: MemoryStoreGateway) -> Iterator[JsonMemoryProject]:
    """Every page of the gateway's answer; a page after the last id, so projects moved
    meanwhile neither repeat nor shift the rest."""
    after: str | None = None
    while page := gateway.projects_on_json(after, PAGE):
        yield from page
        after = page[-1].project_id


PAGE = 200


@dataclass(frozen=True, slots=True)
class MemoryCheckReport:
    checked: int
    migrated: int

    @property
    def did_anything(self) -> bool:
        return self.migrated > 0


class CheckMemoryStores:
    """The daily check: every project still on JSON is evaluated in its own organization's
    unit of work and moved if it crossed a trigger. One project's failure is logged and
    left for the next day; the others go on."""

    def __init__(self, gateway: MemoryStoreGateway, migrate: MigrateProjectMemories) -> None:
        self._gateway = gateway
        self._migrate = migrate

    def __call__(self) -> MemoryCheckReport:
        checked = migrated = 0
        for ref in _projects_on_json(self._gateway):
            checked += 1
            try:
                outcome = self._migrate(
                    MigrateMemoriesCommand(ref.organization_id, ref.project_id, forced=False)
                )
            except Exception:
                logger.exception("memories of %s: not checked today", ref.project_id)
                continue
            migrated += outcome.migrated
        return MemoryCheckReport(checked, migrated)


@dataclass(frozen=True, slots=True)
class MigrateMemoriesRequest:
    """``manyfutures memories migrate``: one project (``project_id``) or all of them."""

    project_id: str | None
    dry_run: bool = False
    report: Callable[[JsonMemoryProject, MigrationOutcome], None] | None = None
    before_commit: Callable[[MigrationOutcome], None] | None = None


class MigrateMemories:
    """Move the JSON memories of one project, or of every project still on JSON, to the
    table: one transaction per project, so an interruption leaves each project wholly
    moved or wholly on JSON, and running it again moves only what is left."""

    def __init__(self, gateway: MemoryStoreGateway, migrate: MigrateProjectMemories) -> None:
        self._gateway = gateway
        self._migrate = migrate

    def __call__(self, request: MigrateMemoriesRequest) -> list[MigrationOutcome]:
        outcomes = []
        for ref in _projects_on_json(self._gateway):
            if request.project_id is not None and ref.project_id != request.project_id:
                continue
            outcome = self._migrate(
                MigrateMemoriesCommand(
                    ref.organization_id,
                    ref.project_id,
                    forced=True,
                    dry_run=request.dry_run,
                    before_commit=request.before_commit,
                )
            )
            if request.report is not None:
                request.report(ref, outcome)
            outcomes.append(outcome)
        return outcomes
