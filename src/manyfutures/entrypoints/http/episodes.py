"""Episodes: detail with blocks and sources, a cheap status to poll, and retry."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import (
    EpisodeCommand,
    GetEpisode,
    GetEpisodeStatus,
    RetryEpisode,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.responses import accepted_episode, json_response
from manyfutures.entrypoints.http.schemas import (
    EpisodeDetailSchema,
    EpisodeSchema,
    EpisodeStatusSchema,
)

blueprint = Blueprint("episodes", __name__)
TAG = "Episodes"


@blueprint.get("/episodes/<episode_id>")
@operation(TAG, "Read an episode with its blocks and sources", responses={200: EpisodeDetailSchema})
@inject
def get_episode(
    episode_id: str, use_case: GetEpisode = Provide[Container.generation.get_episode]
) -> Response:
    return json_response(EpisodeDetailSchema, use_case(EpisodeCommand(current_actor(), episode_id)))


@blueprint.get("/episodes/<episode_id>/status")
@operation(
    TAG,
    "Generation status: stage research/writing/review, percent, errors (cheap to poll)",
    responses={200: EpisodeStatusSchema},
)
@inject
def get_episode_status(
    episode_id: str, use_case: GetEpisodeStatus = Provide[Container.generation.get_episode_status]
) -> Response:
    episode = use_case(EpisodeCommand(current_actor(), episode_id))
    response = json_response(EpisodeStatusSchema, episode)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/episodes/<episode_id>/retry")
@operation(
    TAG,
    "Retry a FAILED episode (409 in any other state)",
    responses={202: EpisodeSchema},
    errors=(409,),
)
@inject
def retry_episode(
    episode_id: str, use_case: RetryEpisode = Provide[Container.generation.retry_episode]
) -> Response:
    return accepted_episode(use_case(EpisodeCommand(current_actor(), episode_id)))
