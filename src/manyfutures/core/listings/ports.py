"""Where the list pages are read from: the organization's unit of work (``uow.listings``),
so row-level security and the tenant setting hold as for every other read."""

from __future__ import annotations

from typing import Protocol

from manyfutures.core.listings.model import EpisodeItem, ProjectItem
from manyfutures.core.shared.unit_of_work import UnitOfWork


class ListingReader(Protocol):
    def projects(self, limit: int, after_id: str | None = None) -> list[ProjectItem]:
        """Live projects, newest first (ids are time-sortable); ``after_id`` continues a
        page. The same projects, in the same order, as ``uow.projects.list``."""
        ...

    def episodes(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> list[EpisodeItem] | None:
        """The live project's episodes, newest first, as ``uow.episodes.list_for_project``;
        None if the organization has no such live project."""
        ...


class ListingStore(UnitOfWork, Protocol):
    """An organization's list pages (``uow.listings``), read only."""

    @property
    def listings(self) -> ListingReader: ...
