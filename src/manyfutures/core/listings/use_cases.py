"""The two list pages' queries: one read each, in one unit of work, no entity built."""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.listings.model import EpisodeItem, ProjectItem
from manyfutures.core.listings.ports import ListingStore
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError
from manyfutures.core.shared.paging import check_page_size
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class ProjectPageQuery:
    actor: Actor
    limit: int = 20
    after_id: str | None = None


@dataclass(frozen=True, slots=True)
class EpisodePageQuery:
    actor: Actor
    project_id: str
    limit: int = 20
    after_id: str | None = None


class ListProjectPage(UseCase[ListingStore]):
    """``ListProjects``'s page, as read models."""

    def __call__(self, query: ProjectPageQuery) -> list[ProjectItem]:
        limit = check_page_size(query.limit)
        with self._uow(query.actor.organization_id) as uow:
            return uow.listings.projects(limit, query.after_id)


class ListEpisodePage(UseCase[ListingStore]):
    """A project's page of episodes, newest first, as read models: a project that is not
    live is not found."""

    def __call__(self, query: EpisodePageQuery) -> list[EpisodeItem]:
        limit = check_page_size(query.limit)
        with self._uow(query.actor.organization_id) as uow:
            items = uow.listings.episodes(query.project_id, limit, query.after_id)
        if items is None:
            raise NotFoundError("project", query.project_id)
        return items
