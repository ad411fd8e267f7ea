"""Memories over HTTP: written, searched and sent to the writer from either store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.container import Container
from manyfutures.core.feedback.memory_use_cases import MigrateMemoriesRequest
from manyfutures.core.generation.use_cases import StartGenerationCommand
from tests.support.builders import T0
from tests.support.fakes import RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem, create_project


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


def memories_of(api: Api, project_id: str, query: str = "") -> list[dict[str, Any]]:
    response = api.get(f"/v1/projects/{project_id}/memories{query}")
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def payload_memories(
    api: Api, container: Container, generator: RecordingGenerator, project_id: str
) -> list[str]:
    """Generate an episode now and return the memories its request carried."""
    assert api.post(f"/v1/projects/{project_id}/episodes").status_code == 202
    for item in container.scheduling.claim_due_items()(10):
        container.generation.start_generation()(
            StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
        )
    (request,) = [r for r in generator.requests if r.project_id == project_id]
    return [m.content for m in request.memories]


def test_a_memory_written_is_found_by_q_in_both_stores_and_in_the_payload(
    api: Api, container: Container, generator: RecordingGenerator
) -> None:
    on_json, on_table = create_project(api)["id"], create_project(api, title="Other")["id"]
    for project_id in (on_json, on_table):
        api.post(f"/v1/projects/{project_id}/memories", json={"content": "Skip crypto"})
        created = api.post(
            f"/v1/projects/{project_id}/memories",
            json={"content": "More on grid BATTERIES", "type": "topic", "importance": 0.9},
        )
        assert created.status_code == 201
        assert created.get_json() == {
            "id": created.get_json()["id"],
            "projectId": project_id,
            "content": "More on grid BATTERIES",
            "type": "topic",
            "importance": 0.9,
            "createdAt": T0.isoformat(),
            "expiresAt": None,
        }
    container.memories.migrate_memories()(MigrateMemoriesRequest(on_table))

    for project_id in (on_json, on_table):
        found = memories_of(api, project_id, "?q=batteries")
        assert [m["content"] for m in found] == ["More on grid BATTERIES"]
        assert [m["content"] for m in memories_of(api, project_id)] == [
            "More on grid BATTERIES",
            "Skip crypto",
        ]
        assert payload_memories(api, container, generator, project_id) == [
            "More on grid BATTERIES",
            "Skip crypto",
        ]


def test_delete_from_either_store_is_audited(api: Api, container: Container) -> None:
    project_id = create_project(api)["id"]
    path = f"/v1/projects/{project_id}/memories"
    first = api.post(path, json={"content": "first"}).get_json()
    container.memories.migrate_memories()(MigrateMemoriesRequest(project_id))
    second = api.post(path, json={"content": "second"}).get_json()

    assert api.delete(f"/v1/memories/{first['id']}").status_code == 204
    assert_problem(api.delete(f"/v1/memories/{first['id']}"), 404, "not-found")
    assert [m["id"] for m in memories_of(api, project_id)] == [second["id"]]

    audit = api.get("/v1/audit-log").get_json()["items"]
    assert [(row["action"], row["resourceId"]) for row in audit if "memory" in row["action"]] == [
        ("memory.delete", first["id"]),
        ("memory.create", second["id"]),
        ("memory.create", first["id"]),
    ]


def test_bad_inputs_are_problems_by_field(api: Api) -> None:
    project_id = create_project(api)["id"]
    path = f"/v1/projects/{project_id}/memories"
    for body, field in (
        ({"content": "x" * 2_001}, "content"),
        ({"content": ""}, "content"),
        ({}, "content"),
        ({"content": "ok", "importance": 1.5}, "importance"),
        ({"content": "ok", "importance": -0.5}, "importance"),
        ({"content": "ok", "importance": "0.5"}, "importance"),
        ({"content": "ok", "type": "Not a type"}, "type"),
        ({"content": "ok", "expiresAt": (T0 - timedelta(days=1)).isoformat()}, "expiresAt"),
        ({"content": "ok", "expiresAt": T0.isoformat()}, "expiresAt"),
        ({"content": "ok", "expiresAt": "2026-01-05T08:00:00"}, "expiresAt"),
        ({"content": "ok", "author": "me"}, "author"),
    ):
        problem = assert_problem(api.post(path, json=body), 422, "validation-error")
        assert field in problem["errors"], (body, problem)
    assert_problem(api.get(f"{path}?q="), 422, "validation-error")
    assert_problem(api.get(f"{path}?q={'x' * 201}"), 422, "validation-error")
    assert memories_of(api, project_id) == []


def test_another_organizations_project_and_memories_are_not_found(api: Api, other_org: Api) -> None:
    project_id = create_project(api)["id"]
    path = f"/v1/projects/{project_id}/memories"
    memory = api.post(path, json={"content": "ours"}).get_json()

    assert_problem(other_org.post(path, json={"content": "theirs"}), 404, "not-found")
    assert_problem(other_org.get(path), 404, "not-found")
    assert_problem(other_org.delete(f"/v1/memories/{memory['id']}"), 404, "not-found")
    assert [m["content"] for m in memories_of(api, project_id)] == ["ours"]


def test_a_retried_create_with_its_idempotency_key_stores_one_memory(api: Api) -> None:
    project_id = create_project(api)["id"]
    path = f"/v1/projects/{project_id}/memories"
    headers = {"Idempotency-Key": "memory-1"}
    first = api.post(path, json={"content": "once"}, headers=headers)
    again = api.post(path, json={"content": "once"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(memories_of(api, project_id)) == 1
