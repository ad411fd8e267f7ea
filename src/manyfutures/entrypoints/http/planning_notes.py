"""Planning notes: what a reader wants the next episode to cover."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.feedback.use_cases import (
    AddPlanningNote,
    AddPlanningNoteCommand,
    ArchivePlanningNote,
    ArchivePlanningNoteCommand,
    EditPlanningNote,
    EditPlanningNoteCommand,
    ListPlanningNotes,
    ListPlanningNotesQuery,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body, query_args
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import (
    PlanningNoteCreateSchema,
    PlanningNoteListSchema,
    PlanningNoteQuerySchema,
    PlanningNoteSchema,
    PlanningNoteUpdateSchema,
)

blueprint = Blueprint("planning_notes", __name__)
TAG = "Planning notes"


@blueprint.get("/projects/<project_id>/planning-notes")
@operation(
    TAG,
    "List a project's planning notes, oldest first (filter by status)",
    query=PlanningNoteQuerySchema,
    responses={200: PlanningNoteListSchema},
)
@inject
def list_planning_notes(
    project_id: str, use_case: ListPlanningNotes = Provide[Container.feedback.list_planning_notes]
) -> Response:
    query = query_args(PlanningNoteQuerySchema)
    notes = use_case(ListPlanningNotesQuery(current_actor(), project_id, query["status"]))
    return json_response(PlanningNoteListSchema, {"items": list(notes)})


@blueprint.post("/projects/<project_id>/planning-notes")
@operation(
    TAG,
    "Add a planning note for the next episode",
    body=PlanningNoteCreateSchema,
    responses={201: PlanningNoteSchema},
)
@inject
def add_planning_note(
    project_id: str, use_case: AddPlanningNote = Provide[Container.feedback.add_planning_note]
) -> Response:
    body = json_body(PlanningNoteCreateSchema)
    note = use_case(AddPlanningNoteCommand(current_actor(), project_id, body["note"]))
    return json_response(PlanningNoteSchema, note, 201)


@blueprint.patch("/planning-notes/<note_id>")
@operation(
    TAG,
    "Edit a pending note's text (its author), or archive a pending or sent note (its author "
    "or an admin); 409 once the change no longer applies",
    body=PlanningNoteUpdateSchema,
    responses={200: PlanningNoteSchema},
    errors=(409,),
)
@inject
def update_planning_note(
    note_id: str,
    archive: ArchivePlanningNote = Provide[Container.feedback.archive_planning_note],
    edit: EditPlanningNote = Provide[Container.feedback.edit_planning_note],
) -> Response:
    body = json_body(PlanningNoteUpdateSchema)  # exactly one of note, status
    actor = current_actor()
    if "note" in body:
        note = edit(EditPlanningNoteCommand(actor, note_id, body["note"]))
    else:
        note = archive(ArchivePlanningNoteCommand(actor, note_id))
    return json_response(PlanningNoteSchema, note)
