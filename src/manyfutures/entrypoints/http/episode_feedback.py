"""Episode feedback: a reader's rating and comment, read by the next episode's writer.

201 for a reader's first verdict on an episode, 200 when it replaced their earlier one."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.feedback.use_cases import (
    SubmitEpisodeFeedback,
    SubmitEpisodeFeedbackCommand,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import EpisodeFeedbackCreateSchema, EpisodeFeedbackSchema

blueprint = Blueprint("episode_feedback", __name__)
TAG = "Episode feedback"


@blueprint.post("/episodes/<episode_id>/feedback")
@operation(
    TAG,
    "Rate a published episode (1 to 5, optional comment); a second rating by the same "
    "reader replaces the first (409 while the episode is not published)",
    body=EpisodeFeedbackCreateSchema,
    responses={201: EpisodeFeedbackSchema, 200: EpisodeFeedbackSchema},
    errors=(409,),
)
@inject
def submit_episode_feedback(
    episode_id: str,
    use_case: SubmitEpisodeFeedback = Provide[Container.feedback.submit_episode_feedback],
) -> Response:
    body = json_body(EpisodeFeedbackCreateSchema)
    command = SubmitEpisodeFeedbackCommand(
        current_actor(), episode_id, body["rating"], body["comment"]
    )
    submitted = use_case(command)
    return json_response(
        EpisodeFeedbackSchema, submitted.feedback, 200 if submitted.replaced else 201
    )
