"""Client-side events (``share_clicked``, …), stored beside the ones the server records
itself (whose names a client may not use: core/activity/event_types.py)."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.activity.use_cases import TrackEvent, TrackEventCommand
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import EventCreateSchema, EventSchema

blueprint = Blueprint("events", __name__)


@blueprint.post("/events")
@operation(
    "Events",
    "Record a client event (eventType ^[a-z][a-z0-9_]{2,63}$, not one of the server's; "
    "eventData <= 8 KiB)",
    body=EventCreateSchema,
    responses={201: EventSchema},
)
@inject
def track_event(use_case: TrackEvent = Provide[Container.activity.track_event]) -> Response:
    body = json_body(EventCreateSchema)
    event = use_case(TrackEventCommand(current_actor(), body["event_type"], body["event_data"]))
    return json_response(EventSchema, event, 201)
