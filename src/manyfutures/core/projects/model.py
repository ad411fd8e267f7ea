"""Projects: the topics an organization follows, and how often it hears about them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.shared.errors import StateConflictError, ValidationError, VersionConflictError

MAX_TITLE_LENGTH = 200
MAX_BRIEF_LENGTH = 10_000


class ProjectStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class MemoryStorage(enum.StrEnum):
    """Where a project's memories live: JSON on the project (MVP) or the agent_memory table."""

    JSON = "json"
    TABLE = "table"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectMemory:
    """One memory kept in the project's JSON. Its id is the one it keeps when the project
    moves to the agent_memory table, so a client's reference survives the move."""

    id: str
    content: str
    memory_type: str = "preference"
    importance: float = 0.5
    created_at: datetime
    expires_at: datetime | None = None


class Remembered(Protocol):
    """What the writer's memory rule reads, wherever the project keeps its memories."""

    @property
    def importance(self) -> float: ...
    @property
    def expires_at(self) -> datetime | None: ...


MemoryT = TypeVar("MemoryT", bound=Remembered)


def live_by_importance(memories: Iterable[MemoryT], now: datetime) -> list[MemoryT]:
    """Most important first; expired memories never reach the writer.

    JSON memories and agent_memory rows go through this one rule, so moving a project
    from one storage to the other cannot change what its writer is told.
    """
    live = [m for m in memories if m.expires_at is None or m.expires_at > now]
    return sorted(live, key=lambda m: m.importance, reverse=True)


def validate_title(title: str) -> str:
    cleaned = title.strip() if isinstance(title, str) else ""
    if not cleaned:
        raise ValidationError.for_field("title", "title must not be empty")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise ValidationError.for_field(
            "title", f"title must be at most {MAX_TITLE_LENGTH} characters"
        )
    return cleaned


def validate_brief(brief: str) -> str:
    cleaned = brief.strip() if isinstance(brief, str) else ""
    if not cleaned:
        raise ValidationError.for_field("brief", "brief must not be empty")
    if len(cleaned) > MAX_BRIEF_LENGTH:
        raise ValidationError.for_field(
            "brief", f"brief must be at most {MAX_BRIEF_LENGTH} characters"
        )
    return cleaned


@dataclass(slots=True, kw_only=True)
class Project:
    id: str
    organization_id: str
    created_by: str
    title: str
    onboarding_brief: str
    cadence: Cadence
    status: ProjectStatus = ProjectStatus.ACTIVE
    next_scheduled_at: datetime | None = None
    memories: list[ProjectMemory] = field(default_factory=list)
    memory_storage: MemoryStorage = MemoryStorage.JSON
    # How long the storage adapter took to decode ``memories`` when it read the project: one
    # of the triggers for moving them to the table (memory_migration.py). Not stored.
    memories_parse_time: timedelta = field(default=timedelta(0), compare=False)
    version: int = 1
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise VersionConflictError("project", self.id, expected, self.version)

    def touch(self, now: datetime) -> None:
        """Every change bumps the version the optimistic lock compares."""
        self.version += 1
        self.updated_at = now

    def require_active(self) -> None:
        if self.status is not ProjectStatus.ACTIVE:
            raise StateConflictError(f"project {self.id} is {self.status.value}, not ACTIVE")

    def pause(self, now: datetime) -> None:
        self.require_active()
        self.status = ProjectStatus.PAUSED
        self.next_scheduled_at = None
        self.touch(now)

    def resume(self, now: datetime) -> None:
        if self.status is not ProjectStatus.PAUSED:
            raise StateConflictError(f"project {self.id} is {self.status.value}, not PAUSED")
        self.status = ProjectStatus.ACTIVE
        self.touch(now)

    def archive(self, now: datetime) -> None:
        """Stops for good, but stays readable: its organization was deleted."""
        if self.status is ProjectStatus.ARCHIVED:
            raise StateConflictError(f"project {self.id} is already archived")
        self.status = ProjectStatus.ARCHIVED
        self.next_scheduled_at = None
        self.touch(now)

    def soft_delete(self, by_user: str, now: datetime) -> None:
        if self.is_deleted:
            raise StateConflictError(f"project {self.id} is already deleted")
        self.status = ProjectStatus.ARCHIVED
        self.next_scheduled_at = None
        self.deleted_at = now
        self.deleted_by = by_user
        self.touch(now)

    def settings_snapshot(self) -> dict[str, object]:
        """The user-editable settings, for audit old/new values and events."""
        return {
            "title": self.title,
            "brief": self.onboarding_brief,
            "cadence": {"mode": self.cadence.mode.value, "days": list(self.cadence.days)},
            "deliveryTime": self.cadence.delivery_time.strftime("%H:%M"),
            "timezone": self.cadence.timezone,
        }
