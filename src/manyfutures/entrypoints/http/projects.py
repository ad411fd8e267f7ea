"""Projects: CRUD, pause/resume, generate-now, and a project's episodes."""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import RequestEpisodeCommand, RequestEpisodeNow
from manyfutures.core.listings.use_cases import (
    EpisodePageQuery,
    ListEpisodePage,
    ListProjectPage,
    ProjectPageQuery,
)
from manyfutures.core.projects.use_cases import (
    CreateProject,
    CreateProjectCommand,
    DeleteProject,
    GetProject,
    PauseProject,
    ProjectCommand,
    ResumeProject,
    UpdateProjectSettings,
    UpdateProjectSettingsCommand,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.preconditions import expected_version
from manyfutures.entrypoints.http.requests import json_body, query_args
from manyfutures.entrypoints.http.responses import accepted_episode, project_response
from manyfutures.entrypoints.http.schemas import (
    EpisodePageSchema,
    EpisodeSchema,
    PageQuerySchema,
    ProjectCreateSchema,
    ProjectPageSchema,
    ProjectSchema,
    ProjectUpdateSchema,
    items_page,
)

blueprint = Blueprint("projects", __name__)
TAG = "Projects"


def _cadence(body: dict[str, Any]) -> dict[str, Any]:
    cadence = body.get("cadence")
    if cadence is None:
        return {}
    return {"cadence_mode": cadence["mode"].value, "days": tuple(cadence["days"])}


@blueprint.get("/projects")
@operation(
    TAG, "List projects, newest first", query=PageQuerySchema, responses={200: ProjectPageSchema}
)
@inject
def list_projects(
    use_case: ListProjectPage = Provide[Container.projects.project_page],
) -> dict[str, Any]:
    query = query_args(PageQuerySchema)
    projects = use_case(ProjectPageQuery(current_actor(), query["limit"], query["cursor"]))
    return items_page(projects, query["limit"])


@blueprint.post("/projects")
@operation(
    TAG,
    "Create a project (default cadence: weekly on Monday 09:00 in your time zone)",
    body=ProjectCreateSchema,
    responses={201: ProjectSchema},
    etag=True,
)
@inject
def create_project(
    use_case: CreateProject = Provide[Container.projects.create_project],
) -> Response:
    body = json_body(ProjectCreateSchema)
    project = use_case(
        CreateProjectCommand(
            actor=current_actor(),
            title=body["title"],
            brief=body["brief"],
            delivery_time=body.get("delivery_time"),
            timezone=body.get("timezone"),
            **_cadence(body),
        )
    )
    response = project_response(project, 201)
    response.headers["Location"] = f"/v1/projects/{project.id}"
    return response


@blueprint.get("/projects/<project_id>")
@operation(TAG, "Read a project", responses={200: ProjectSchema}, etag=True)
@inject
def get_project(
    project_id: str, use_case: GetProject = Provide[Container.projects.get_project]
) -> Response:
    project = use_case(ProjectCommand(current_actor(), project_id))
    return project_response(project)


@blueprint.patch("/projects/<project_id>")
@operation(
    TAG,
    "Change a project's settings (send If-Match with its ETag to avoid lost updates)",
    body=ProjectUpdateSchema,
    responses={200: ProjectSchema},
    if_match=True,
    etag=True,
)
@inject
def update_project(
    project_id: str,
    use_case: UpdateProjectSettings = Provide[Container.projects.update_project_settings],
) -> Response:
    body = json_body(ProjectUpdateSchema)
    cadence = _cadence(body)
    project = use_case(
        UpdateProjectSettingsCommand(
            actor=current_actor(),
            project_id=project_id,
            expected_version=expected_version(),
            title=body.get("title"),
            brief=body.get("brief"),
            cadence_mode=cadence.get("cadence_mode"),
            days=cadence.get("days"),
            delivery_time=body.get("delivery_time"),
            timezone=body.get("timezone"),
        )
    )
    return project_response(project)


@blueprint.delete("/projects/<project_id>")
@operation(TAG, "Delete a project (soft: kept for audit)", responses={204: None}, if_match=True)
@inject
def delete_project(
    project_id: str, use_case: DeleteProject = Provide[Container.projects.delete_project]
) -> Response:
    use_case(ProjectCommand(current_actor(), project_id, expected_version()))
    return Response(status=204)


@blueprint.post("/projects/<project_id>/pause")
@operation(
    TAG, "Pause deliveries", responses={200: ProjectSchema}, if_match=True, etag=True, errors=(409,)
)
@inject
def pause_project(
    project_id: str, use_case: PauseProject = Provide[Container.projects.pause_project]
) -> Response:
    project = use_case(ProjectCommand(current_actor(), project_id, expected_version()))
    return project_response(project)


@blueprint.post("/projects/<project_id>/resume")
@operation(
    TAG,
    "Resume deliveries from the next occurrence",
    responses={200: ProjectSchema},
    if_match=True,
    etag=True,
    errors=(409,),
)
@inject
def resume_project(
    project_id: str, use_case: ResumeProject = Provide[Container.projects.resume_project]
) -> Response:
    project = use_case(ProjectCommand(current_actor(), project_id, expected_version()))
    return project_response(project)


@blueprint.post("/projects/<project_id>/episodes")
@operation(
    "Episodes",
    "Generate an episode now: 202 with the DRAFT episode; poll its status",
    responses={202: EpisodeSchema},
    errors=(409,),
)
@inject
def generate_now(
    project_id: str, use_case: RequestEpisodeNow = Provide[Container.generation.request_episode_now]
) -> Response:
    return accepted_episode(use_case(RequestEpisodeCommand(current_actor(), project_id)))


@blueprint.get("/projects/<project_id>/episodes")
@operation(
    "Episodes",
    "List a project's episodes, newest first",
    query=PageQuerySchema,
    responses={200: EpisodePageSchema},
)
@inject
def list_episodes(
    project_id: str, use_case: ListEpisodePage = Provide[Container.projects.episode_page]
) -> dict[str, Any]:
    query = query_args(PageQuerySchema)
    episodes = use_case(
        EpisodePageQuery(current_actor(), project_id, query["limit"], query["cursor"])
    )
    return items_page(episodes, query["limit"])
