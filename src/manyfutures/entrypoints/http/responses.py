"""Building JSON responses from schemas, and the project ETag (its version, ``"v3"``)."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response
from marshmallow import Schema

from manyfutures.core.episodes.episode import Episode
from manyfutures.core.projects.model import Project
from manyfutures.entrypoints.http.schemas import EpisodeSchema, ProjectSchema, instance


def json_response(schema: type[Schema], value: Any, status: int = 200) -> Response:
    return make_response(instance(schema).dump(value), status)


def accepted_episode(episode: Episode) -> Response:
    """202 for a generation that has been queued, pointing at the status to poll."""
    response = json_response(EpisodeSchema, episode, 202)
    response.headers["Location"] = f"/v1/episodes/{episode.id}/status"
    return response


def project_response(project: Project, status: int = 200) -> Response:
    """The ETag is the project's version, so If-Match maps straight onto the optimistic lock."""
    response = json_response(ProjectSchema, project, status)
    response.set_etag(f"v{project.version}")
    return response
