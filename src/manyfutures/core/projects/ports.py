"""The projects' storage port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.identity.ports import IdentityStore
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.ports import QueueStore
from manyfutures.core.shared.unit_of_work import UnitOfWork


class ProjectRepository(Protocol):
    def add(self, project: Project) -> None: ...
    def get(self, project_id: str) -> Project | None:
        """Soft-deleted projects are not found."""
        ...

    def get_many(self, project_ids: Sequence[str]) -> Sequence[Project]:
        """``get`` for each in one read, in no particular order: the scheduler advances
        an organization's due projects together."""
        ...

    def get_for_update(self, project_id: str) -> Project | None:
        """Like ``get``, after waiting for any other unit of work holding the project; then
        no other unit of work can change it (or take it) until this one ends, so an
        update made under it cannot lose a race."""
        ...

    def find_by_memory_id(self, memory_id: str) -> Project | None:
        """The live project whose JSON memories hold that id (a DELETE names only the
        memory); None if no project of the organization keeps it as JSON."""
        ...

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        """Newest first (ids are time-sortable); ``after_id`` continues a page."""
        ...

    def count_active(self) -> int:
        """The organization's ACTIVE projects (paused, archived and deleted ones do not
        count), including this unit of work's own writes."""
        ...

    def update(self, project: Project) -> None:
        """Persist changes; raise VersionConflictError if another transaction changed it first."""
        ...

    def update_many(self, projects: Sequence[Project]) -> None:
        """``update`` of each as one write: the scheduler advances an organization's due
        projects together. Any conflict raises VersionConflictError, and nothing is kept."""
        ...


class ProjectStore(UnitOfWork, Protocol):
    """An organization's projects."""

    @property
    def projects(self) -> ProjectRepository: ...


class ProjectsUnitOfWork(
    ProjectStore, QueueStore, EpisodeStore, IdentityStore, ActivityStore, Protocol
):
    """A project's settings decide its delivery slots, so its use cases reach the queue and
    the slots' draft episodes; the creator's time zone is read from identity."""
