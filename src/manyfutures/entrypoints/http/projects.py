"""Projects and their episodes."""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, request

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import ListEpisodes, ListEpisodesQuery
from manyfutures.core.projects.use_cases import ListProjects, ListProjectsQuery
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.schemas import (
    EpisodeSchema,
    PageQuerySchema,
    ProjectSchema,
    page,
)

blueprint = Blueprint("projects", __name__)


@blueprint.get("/projects")
@inject
def list_projects(
    use_case: ListProjects = Provide[Container.list_projects],
) -> dict[str, Any]:
    query = PageQuerySchema().load(request.args)
    projects = use_case(ListProjectsQuery(current_actor(), query["limit"], query["cursor"]))
    return page(list(projects), ProjectSchema(), query["limit"])


@blueprint.get("/projects/<project_id>/episodes")
@inject
def list_episodes(
    project_id: str,
    use_case: ListEpisodes = Provide[Container.list_episodes],
) -> dict[str, Any]:
    query = PageQuerySchema().load(request.args)
    episodes = use_case(
        ListEpisodesQuery(current_actor(), project_id, query["limit"], query["cursor"])
    )
    return page(list(episodes), EpisodeSchema(), query["limit"])
