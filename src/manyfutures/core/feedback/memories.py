"""A project's memories: what readers tell the writer to keep in mind.

A project keeps them in one of two stores (``Project.memory_storage``): JSON on the
project (the MVP) or the agent_memory table. Everything here reads and writes through
whichever the project is on, and shows both the same way (``Memory``), so a client,
a search and the writer cannot tell which store answered.

Expired memories are kept but never shown: not listed, not found by a search, not
sent to the writer. A memory created already expired is refused (422): it could never
be seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from manyfutures.core.activity.event_types import MEMORY_SEARCH_REQUESTED
from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.feedback.model import AgentMemory
from manyfutures.core.feedback.ports import FeedbackStore, FeedbackUnitOfWork
from manyfutures.core.projects.memory_migration import (
    MemoryStats,
    MigrationReason,
    migration_reasons,
)
from manyfutures.core.projects.model import (
    MemoryStorage,
    Project,
    ProjectMemory,
    live_by_importance,
)
from manyfutures.core.shared.errors import FieldErrors, StateConflictError, ValidationError

MAX_MEMORY_LENGTH = 2_000
MAX_TYPE_LENGTH = 50
MAX_QUERY_LENGTH = 200
DEFAULT_MEMORY_TYPE = "preference"
TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Memory:
    """One memory as the API and the contract test see it, whichever store holds it."""

    id: str
    project_id: str
    content: str
    memory_type: str
    importance: float
    created_at: datetime
    expires_at: datetime | None

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class NewMemory:
    content: str
    memory_type: str
    importance: float
    expires_at: datetime | None


def validate_new_memory(
    content: object,
    memory_type: object,
    importance: object,
    expires_at: datetime | None,
    now: datetime,
) -> NewMemory:
    """Every broken rule at once, by field: the API's names (``type``, ``expiresAt``)."""
    errors = FieldErrors()
    text = errors.check(lambda: _content(content))
    kind = errors.check(lambda: _memory_type(memory_type))
    weight = errors.check(lambda: _importance(importance))
    if expires_at is not None and expires_at <= now:
        errors.errors.setdefault("expiresAt", []).append(
            "expiresAt must be in the future: an expired memory is never shown"
        )
    errors.raise_if_any("the memory is not valid")
    assert text is not None and kind is not None and weight is not None
    return NewMemory(text, kind, weight, expires_at)


def _content(content: object) -> str:
    cleaned = content.strip() if isinstance(content, str) else ""
    if not cleaned:
        raise ValidationError.for_field("content", "content must not be empty")
    if len(cleaned) > MAX_MEMORY_LENGTH:
        raise ValidationError.for_field(
            "content", f"content must be at most {MAX_MEMORY_LENGTH} characters"
        )
    return cleaned


def _memory_type(memory_type: object) -> str:
    if (
        not isinstance(memory_type, str)
        or len(memory_type) > MAX_TYPE_LENGTH
        or not TYPE_PATTERN.fullmatch(memory_type)
    ):
        raise ValidationError.for_field(
            "type",
            f"type must be 1 to {MAX_TYPE_LENGTH} lowercase letters, digits or underscores, "
            "starting with a letter",
        )
    return memory_type


def _importance(importance: object) -> float:
    if (
        isinstance(importance, bool)
        or not isinstance(importance, int | float)
        or not 0 <= importance <= 1
    ):
        raise ValidationError.for_field("importance", "importance must be between 0 and 1")
    return float(importance)


def validate_query(query: str) -> str:
    cleaned = query.strip()
    if not cleaned or len(cleaned) > MAX_QUERY_LENGTH:
        raise ValidationError.for_field(
            "q", f"q must be 1 to {MAX_QUERY_LENGTH} characters besides spaces"
        )
    return cleaned


def matches(memory: Memory, query: str) -> bool:
    """Case-insensitive substring of the content; one rule for both stores."""
    return query.casefold() in memory.content.casefold()


def shown(memories: Iterable[Memory], now: datetime, query: str | None = None) -> list[Memory]:
    """Live memories (matching ``query`` if given), most important first, then oldest first."""
    candidates = sorted(memories, key=lambda m: m.id)
    if query is not None:
        candidates = [m for m in candidates if matches(m, query)]
    return live_by_importance(candidates, now)


# --- the two stores -----------------------------------------------------------------------


def memories_of(uow: FeedbackStore, project: Project) -> list[Memory]:
    """Every memory of the project, expired ones included, from the store it is on."""
    if project.memory_storage is MemoryStorage.TABLE:
        return [_from_table(m) for m in uow.agent_memories.list_for_project(project.id)]
    return [_from_json(project.id, m) for m in project.memories]


def _from_table(m: AgentMemory) -> Memory:
    return Memory(
        m.id, m.project_id, m.content, m.memory_type, m.importance, m.created_at, m.expires_at
    )


def _from_json(project_id: str, m: ProjectMemory) -> Memory:
    return Memory(
        m.id, project_id, m.content, m.memory_type, m.importance, m.created_at, m.expires_at
    )


def store(uow: FeedbackUnitOfWork, project: Project, memory: Memory, now: datetime) -> None:
    """Add to the project's store. The JSON lives on the project row, so adding to it is a
    change of the project (its version moves; the caller holds the project's lock)."""
    if project.memory_storage is MemoryStorage.TABLE:
        uow.agent_memories.add(_to_table(project, memory))
        return
    project.memories = [*project.memories, _to_json(memory)]
    project.touch(now)
    uow.projects.update(project)


def forget(uow: FeedbackUnitOfWork, project: Project, memory: Memory, now: datetime) -> None:
    if project.memory_storage is MemoryStorage.TABLE:
        uow.agent_memories.delete(memory.id)
        return
    project.memories = [m for m in project.memories if m.id != memory.id]
    project.touch(now)
    uow.projects.update(project)


def _to_table(project: Project, m: Memory) -> AgentMemory:
    return AgentMemory(
        id=m.id,
        organization_id=project.organization_id,
        project_id=project.id,
        content=m.content,
        memory_type=m.memory_type,
        importance=m.importance,
        created_at=m.created_at,
        expires_at=m.expires_at,
    )


def _to_json(m: Memory) -> ProjectMemory:
    return ProjectMemory(
        id=m.id,
        content=m.content,
        memory_type=m.memory_type,
        importance=m.importance,
        created_at=m.created_at,
        expires_at=m.expires_at,
    )


# --- moving a project to the table --------------------------------------------------------


class MemoryCountMismatchError(StateConflictError):
    """The table did not gain exactly the memories the JSON held: nothing is committed."""


def search_requested(uow: ActivityStore, project_id: str) -> bool:
    return any(
        event.event_data.get("projectId") == project_id
        for event in uow.events.list(MEMORY_SEARCH_REQUESTED)
    )


def reasons_to_move(
    uow: FeedbackUnitOfWork, project: Project, now: datetime, launched_on: date | None
) -> list[MigrationReason]:
    """The triggers that hold for a project on JSON (none for one already on the table)."""
    if project.memory_storage is MemoryStorage.TABLE:
        return []
    stats = MemoryStats(
        memory_count=len(project.memories),
        parse_time=project.memories_parse_time,
        search_needed=search_requested(uow, project.id),
    )
    return migration_reasons(stats, now, launched_on)


def move_to_table(uow: FeedbackUnitOfWork, project: Project, now: datetime) -> int:
    """Move every JSON memory into agent_memory, ids kept, and switch the project over.

    One transaction (the caller's): the inserts, the count check and the switch commit
    together or not at all, so an interruption at any point leaves each memory in exactly
    one store. The count is read back from the table inside the transaction.
    """
    if project.memory_storage is MemoryStorage.TABLE:
        return 0
    moving: Sequence[ProjectMemory] = project.memories
    before = uow.agent_memories.count_for_project(project.id)
    for memory in moving:
        uow.agent_memories.add(_to_table(project, _from_json(project.id, memory)))
    after = uow.agent_memories.count_for_project(project.id)
    if after != before + len(moving):
        raise MemoryCountMismatchError(
            f"project {project.id}: agent_memory holds {after} memories after moving "
            f"{len(moving)} onto {before}; nothing was moved"
        )
    project.memories = []
    project.memory_storage = MemoryStorage.TABLE
    project.touch(now)
    uow.projects.update(project)
    return len(moving)
