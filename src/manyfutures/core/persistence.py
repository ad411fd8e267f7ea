"""The persistence port: repositories grouped in a tenant-scoped unit of work.

A unit of work is opened *for one organization*: every read and write inside it
sees only that organization's rows (the Postgres adapter enforces it with
row-level security, the in-memory one by filtering), and nothing is kept unless
``commit()`` is called — leaving the ``with`` block rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.episodes.episode import Block, Episode, EpisodeStatus
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.queue import ScheduleQueueItem


class OrganizationRepository(Protocol):
    def add(self, organization: Organization) -> None: ...
    def get(self) -> Organization | None:
        """The unit of work's own organization."""
        ...

    def update(self, organization: Organization) -> None: ...


class UserRepository(Protocol):
    """Users are global (one person, many organizations); read by id only."""

    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def update(self, user: User) -> None: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> None:
        """Raise DuplicateError if the user is already a member."""
        ...

    def get_for_user(self, user_id: str) -> Membership | None: ...
    def update(self, membership: Membership) -> None: ...
    def remove(self, user_id: str) -> bool:
        """Delete the user's membership; False if there was none."""
        ...


class ProjectRepository(Protocol):
    def add(self, project: Project) -> None: ...
    def get(self, project_id: str) -> Project | None:
        """Soft-deleted projects are not found."""
        ...

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        """Newest first (ids are time-sortable); ``after_id`` continues a page."""
        ...

    def update(self, project: Project) -> None:
        """Persist changes; raise VersionConflictError if another transaction changed it first."""
        ...


class EpisodeRepository(Protocol):
    def add(self, episode: Episode) -> None: ...
    def get(self, episode_id: str) -> Episode | None: ...
    def update(self, episode: Episode) -> None: ...
    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        """Newest first."""
        ...

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> Episode | None: ...
    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]: ...


class BlockRepository(Protocol):
    def add(self, block: Block) -> None: ...
    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        """In position order."""
        ...


class ScheduleQueueRepository(Protocol):
    def add(self, item: ScheduleQueueItem) -> None:
        """Raise DuplicateError if the project already has a live item for that slot."""
        ...

    def get(self, item_id: str) -> ScheduleQueueItem | None: ...
    def update(self, item: ScheduleQueueItem) -> None: ...
    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> ScheduleQueueItem | None:
        """The live (not cancelled) item for that slot."""
        ...

    def list_for_project(self, project_id: str) -> Sequence[ScheduleQueueItem]:
        """Oldest slot first."""
        ...


class GenerationRunRepository(Protocol):
    def add(self, run: GenerationRun) -> None: ...
    def get(self, run_id: str) -> GenerationRun | None: ...
    def update(self, run: GenerationRun) -> None: ...
    def latest_for_episode(self, episode_id: str) -> GenerationRun | None: ...


class TokenUsageRepository(Protocol):
    def add(self, usage: TokenUsage) -> None:
        """Record a raw row; the daily aggregate follows in the same transaction."""
        ...

    def daily(self, day: date) -> TokenUsageDaily | None: ...


class PlanningNoteRepository(Protocol):
    def add(self, note: PlanningNote) -> None: ...
    def get(self, note_id: str) -> PlanningNote | None: ...
    def update(self, note: PlanningNote) -> None: ...
    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        """Oldest first, the order a writer should read them in."""
        ...


class AgentMemoryRepository(Protocol):
    def add(self, memory: AgentMemory) -> None: ...
    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]: ...


class UserEventRepository(Protocol):
    def add(self, event: UserEvent) -> None: ...
    def list(self, event_type: str | None = None) -> Sequence[UserEvent]:
        """Oldest first."""
        ...


class AuditLogRepository(Protocol):
    def add(self, entry: AuditLog) -> None: ...
    def list(
        self,
        action: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        after_id: str | None = None,
    ) -> Sequence[AuditLog]:
        """Newest first; ``since`` inclusive, ``until`` exclusive, ``after_id`` continues a page."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...
    def list_for_user(self, user_id: str) -> Sequence[Notification]:
        """Newest first."""
        ...


class UnitOfWork(Protocol):
    organization_id: str
    organizations: OrganizationRepository
    users: UserRepository
    memberships: MembershipRepository
    projects: ProjectRepository
    episodes: EpisodeRepository
    blocks: BlockRepository
    queue: ScheduleQueueRepository
    runs: GenerationRunRepository
    token_usage: TokenUsageRepository
    planning_notes: PlanningNoteRepository
    agent_memories: AgentMemoryRepository
    events: UserEventRepository
    audit_log: AuditLogRepository
    notifications: NotificationRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, organization_id: str) -> UnitOfWork:
        """A new unit of work scoped to one organization."""
        ...
