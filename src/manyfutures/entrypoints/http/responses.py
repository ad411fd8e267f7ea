"""Building JSON responses from schemas, and the project ETag convention."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, make_response, request
from marshmallow import Schema

from manyfutures.core.episodes.episode import Episode
from manyfutures.core.projects.model import Project
from manyfutures.entrypoints.http.schemas import EpisodeSchema, ProjectSchema, instance

_VERSION_TAG = re.compile(r"^v([0-9]{1,18})$")
UNMATCHABLE_VERSION = -1


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


def expected_version() -> int | None:
    """The version ``If-Match`` demands: None when absent or ``*``.

    A tag that cannot be a current version (weak, malformed, or several different ones)
    becomes a version no project has, so the use case answers 412 inside its own
    transaction rather than this layer guessing.
    """
    if "If-Match" not in request.headers:
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = {
        int(match.group(1))
        for tag in tags.as_set(include_weak=False)
        if (match := _VERSION_TAG.match(tag))
    }
    return versions.pop() if len(versions) == 1 else UNMATCHABLE_VERSION
