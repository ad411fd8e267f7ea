"""Highlights: passages readers mark on an episode's blocks (the ``highlights`` feature)."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.feedback.highlights import (
    CreateHighlight,
    CreateHighlightCommand,
    DeleteHighlight,
    DeleteHighlightCommand,
    ListHighlights,
    ListHighlightsQuery,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import (
    HighlightCreateSchema,
    HighlightListSchema,
    HighlightSchema,
)

blueprint = Blueprint("highlights", __name__)
TAG = "Highlights"


@blueprint.get("/episodes/<episode_id>/highlights")
@operation(
    TAG,
    "List the organization's highlights on an episode, oldest first",
    responses={200: HighlightListSchema},
)
@inject
def list_highlights(
    episode_id: str, use_case: ListHighlights = Provide[Container.feedback.list_highlights]
) -> Response:
    highlights = use_case(ListHighlightsQuery(current_actor(), episode_id))
    return json_response(HighlightListSchema, {"items": list(highlights)})


@blueprint.post("/episodes/<episode_id>/highlights")
@operation(
    TAG,
    "Highlight a passage of a block: offsets in Unicode code points, text equal to the slice",
    body=HighlightCreateSchema,
    responses={201: HighlightSchema},
)
@inject
def create_highlight(
    episode_id: str, use_case: CreateHighlight = Provide[Container.feedback.create_highlight]
) -> Response:
    body = json_body(HighlightCreateSchema)
    highlight = use_case(
        CreateHighlightCommand(
            current_actor(),
            episode_id,
            body["block_id"],
            body["start_offset"],
            body["end_offset"],
            body["text"],
            body["note"],
        )
    )
    return json_response(HighlightSchema, highlight, 201)


@blueprint.delete("/highlights/<highlight_id>")
@operation(TAG, "Delete one of your own highlights", responses={204: None})
@inject
def delete_highlight(
    highlight_id: str, use_case: DeleteHighlight = Provide[Container.feedback.delete_highlight]
) -> Response:
    use_case(DeleteHighlightCommand(current_actor(), highlight_id))
    return Response(status=204)
