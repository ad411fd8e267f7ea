"""The list pages over the in-memory store: the unit of work's rows (its staged writes
included, other organizations' invisible) through the core's read-model mappers."""

from __future__ import annotations

from manyfutures.adapters.memory.episodes import EPISODES
from manyfutures.adapters.memory.projects import PROJECTS
from manyfutures.adapters.memory.tables import TableView, Transaction, newest_first
from manyfutures.core.episodes.episode import Episode
from manyfutures.core.listings.model import EpisodeItem, ProjectItem, episode_item, project_item
from manyfutures.core.projects.model import Project


class ListingRepository:
    """``uow.listings``: reads only."""

    def __init__(self, uow: Transaction) -> None:
        self._projects: TableView[Project] = TableView(uow, PROJECTS)
        self._episodes: TableView[Episode] = TableView(uow, EPISODES)

    def projects(self, limit: int, after_id: str | None = None) -> list[ProjectItem]:
        live = (p for p in self._projects.rows() if not p.is_deleted)
        return [project_item(p) for p in newest_first(live, limit, after_id)]

    def episodes(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> list[EpisodeItem] | None:
        project = self._projects.get(project_id)
        if project is None or project.is_deleted:
            return None
        mine = (e for e in self._episodes.rows() if e.project_id == project_id)
        return [episode_item(e) for e in newest_first(mine, limit, after_id)]
