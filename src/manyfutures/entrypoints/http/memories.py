"""Memories: what readers tell the writer to keep in mind, per project."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.feedback.memory_use_cases import (
    CreateMemory,
    CreateMemoryCommand,
    DeleteMemory,
    DeleteMemoryCommand,
    ListMemories,
    ListMemoriesQuery,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.memory_schemas import (
    MemoryCreateSchema,
    MemoryListSchema,
    MemoryQuerySchema,
    MemorySchema,
)
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body, query_args
from manyfutures.entrypoints.http.responses import json_response

blueprint = Blueprint("memories", __name__)
TAG = "Memories"


@blueprint.get("/projects/<project_id>/memories")
@operation(
    TAG,
    "List a project's live memories, most important first (q: search their content)",
    query=MemoryQuerySchema,
    responses={200: MemoryListSchema},
)
@inject
def list_memories(
    project_id: str, use_case: ListMemories = Provide[Container.memories.list_memories]
) -> Response:
    query = query_args(MemoryQuerySchema)
    memories = use_case(ListMemoriesQuery(current_actor(), project_id, query["q"]))
    return json_response(MemoryListSchema, {"items": memories})


@blueprint.post("/projects/<project_id>/memories")
@operation(
    TAG,
    "Add a memory the writer keeps in mind for the project's next episodes",
    body=MemoryCreateSchema,
    responses={201: MemorySchema},
)
@inject
def create_memory(
    project_id: str, use_case: CreateMemory = Provide[Container.memories.create_memory]
) -> Response:
    body = json_body(MemoryCreateSchema)
    memory = use_case(
        CreateMemoryCommand(
            current_actor(),
            project_id,
            body["content"],
            body["memory_type"],
            body["importance"],
            body["expires_at"],
        )
    )
    return json_response(MemorySchema, memory, 201)


@blueprint.delete("/memories/<memory_id>")
@operation(TAG, "Delete a memory", responses={204: None})
@inject
def delete_memory(
    memory_id: str, use_case: DeleteMemory = Provide[Container.memories.delete_memory]
) -> Response:
    use_case(DeleteMemoryCommand(current_actor(), memory_id))
    return Response(status=204)
