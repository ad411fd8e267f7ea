"""Episodes over HTTP, driven through the same generation use cases production uses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers

from manyfutures.container import Container
from manyfutures.core.episodes.episode import Source
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    GenerationSucceeded,
    ModelUsage,
    StartGenerationCommand,
)
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem, create_project


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


def start_generation(container: Container, generator: RecordingGenerator) -> str:
    """Act as scheduler + worker for every due item; return the last run id."""
    for item in container.scheduling.claim_due_items()(10):
        container.generation.start_generation()(
            StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
        )
    return generator.requests[-1].run_id


def generate(api: Api) -> tuple[str, str]:
    project = create_project(api)
    episode = api.post(f"/v1/projects/{project['id']}/episodes").get_json()
    return project["id"], episode["id"]


def test_detail_has_blocks_and_sources_once_published(
    api: Api, container: Container, generator: RecordingGenerator
) -> None:
    _, episode_id = generate(api)
    run_id = start_generation(container, generator)
    generating = api.get(f"/v1/episodes/{episode_id}/status").get_json()
    assert (generating["status"], generating["stage"]) == ("GENERATING", "research")

    container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id="org_a",
            run_id=run_id,
            title="Grid batteries",
            summary="Storage is scaling",
            content="# Grid batteries\n\n" + "word " * 500,
            sources=(Source("IEA", "https://example.org/iea"),),
            reasoning="Because",
            confidence=0.8,
            usage=(ModelUsage("gpt-4o", 10, 5, Decimal("0.01")),),
        )
    )

    detail = api.get(f"/v1/episodes/{episode_id}")
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["status"] == "PUBLISHED"
    assert body["title"] == "Grid batteries"
    assert body["readingMinutes"] == 3
    assert body["sources"] == [{"title": "IEA", "url": "https://example.org/iea"}]
    assert len(body["blocks"]) == 1
    block = body["blocks"][0]
    assert block["type"] == "MARKDOWN"
    assert block["content"].startswith("# Grid batteries")
    assert (block["reasoning"], block["confidence"]) == ("Because", 0.8)

    status = api.get(f"/v1/episodes/{episode_id}/status")
    assert status.headers["Cache-Control"] == "no-store"
    assert status.get_json() == {
        "id": episode_id,
        "status": "PUBLISHED",
        "stage": "review",
        "percent": 100,
        "attempts": 1,
        "errors": [],
        "updatedAt": status.get_json()["updatedAt"],
    }


def test_retry_is_409_unless_failed(
    api: Api, container: Container, generator: RecordingGenerator, clock: ManualClock
) -> None:
    _, episode_id = generate(api)
    body = assert_problem(api.post(f"/v1/episodes/{episode_id}/retry"), 409, "state-conflict")
    assert "only FAILED episodes retry" in body["detail"]

    run_id = start_generation(container, generator)
    assert_problem(api.post(f"/v1/episodes/{episode_id}/retry"), 409, "state-conflict")
    container.generation.apply_generation_result()(
        GenerationFailed("org_a", run_id, "writer agent timed out", retryable=False)
    )
    failed = api.get(f"/v1/episodes/{episode_id}/status").get_json()
    assert failed["status"] == "FAILED"
    assert failed["errors"] == ["writer agent timed out"]

    clock.advance(timedelta(minutes=5))  # the reader comes back later
    retried = api.post(f"/v1/episodes/{episode_id}/retry")
    assert retried.status_code == 202
    assert retried.get_json()["status"] == "DRAFT"
    assert retried.headers["Location"] == f"/v1/episodes/{episode_id}/status"
    assert_problem(api.post(f"/v1/episodes/{episode_id}/retry"), 409, "state-conflict")


def test_episode_list_pages(api: Api) -> None:
    project = create_project(api, cadence={"mode": "daily"})
    path = f"/v1/projects/{project['id']}/episodes"
    listed = api.get(f"{path}?limit=1").get_json()
    assert len(listed["items"]) == 1
    assert listed["nextCursor"] == listed["items"][0]["id"]
    assert_problem(api.get(f"{path}?limit=500"), 422, "validation-error")
    assert_problem(api.get(f"{path}?cursor=not a cursor"), 422, "validation-error")


def test_another_organizations_episode_is_404(api: Api, other_org: Api) -> None:
    _, episode_id = generate(api)
    for response in (
        other_org.get(f"/v1/episodes/{episode_id}"),
        other_org.get(f"/v1/episodes/{episode_id}/status"),
        other_org.post(f"/v1/episodes/{episode_id}/retry"),
    ):
        assert_problem(response, 404, "not-found")
    assert_problem(api.get("/v1/episodes/ep_missing"), 404, "not-found")


def test_episodes_of_a_deleted_project_are_gone(api: Api) -> None:
    project_id, episode_id = generate(api)
    api.delete(f"/v1/projects/{project_id}")
    assert_problem(api.get(f"/v1/episodes/{episode_id}"), 404, "not-found")
