"""Highlights over HTTP: gated by the feature, the text equal to the block's slice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import GenerationSucceeded, ModelUsage
from tests.support.fakes import RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem
from tests.unit.http.test_episodes import generate, generator, start_generation

__all__ = ["generator"]
CONTENT = "Grid 🔋 storage is scaling fast"


def publish(api: Api, container: Container, generator: RecordingGenerator) -> dict[str, Any]:
    """A published episode of org_a, read as its detail (with its one block)."""
    _, episode_id = generate(api)
    run_id = start_generation(container, generator)
    container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id="org_a",
            run_id=run_id,
            title="Grid batteries",
            summary="Storage is scaling",
            content=CONTENT,
            usage=(ModelUsage("gpt-4o", 10, 5, Decimal("0.01")),),
        )
    )
    detail: dict[str, Any] = api.get(f"/v1/episodes/{episode_id}").get_json()
    return detail


def enable(api: Api, *features: str) -> None:
    response = api.patch("/v1/organization", json={"enabledFeatures": list(features)})
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def episode(api: Api, container: Container, generator: RecordingGenerator) -> dict[str, Any]:
    return publish(api, container, generator)


def body(episode: dict[str, Any], start: int, end: int, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "blockId": episode["blocks"][0]["id"],
        "startOffset": start,
        "endOffset": end,
        "text": text,
        **extra,
    }


def test_highlight_routes_answer_403_naming_the_feature_until_it_is_on(
    api: Api, episode: dict[str, Any]
) -> None:
    path = f"/v1/episodes/{episode['id']}/highlights"
    for response in (
        api.get(path),
        api.post(path, json=body(episode, 7, 14, "storage")),
        api.delete("/v1/highlights/hl_missing"),
    ):
        assert assert_problem(response, 403, "feature-not-enabled")["feature"] == "highlights"
    enable(api, "highlights")
    assert api.get(path).get_json() == {"items": []}
    assert api.post(path, json=body(episode, 7, 14, "storage")).status_code == 201


def test_a_highlight_is_stored_listed_and_deleted_by_its_author(
    api: Api, member: Api, other_org: Api, episode: dict[str, Any]
) -> None:
    enable(api, "highlights")
    path = f"/v1/episodes/{episode['id']}/highlights"
    created = api.post(path, json=body(episode, 5, 6, "🔋", note="  the battery  "))
    assert created.status_code == 201
    highlight = created.get_json()
    assert highlight == {
        "id": highlight["id"],
        "episodeId": episode["id"],
        "blockId": episode["blocks"][0]["id"],
        "authorId": "user_a",
        "startOffset": 5,
        "endOffset": 6,
        "text": "🔋",
        "note": "the battery",
        "createdAt": highlight["createdAt"],
    }
    assert [h["id"] for h in member.get(path).get_json()["items"]] == [highlight["id"]]

    assert_problem(member.delete(f"/v1/highlights/{highlight['id']}"), 403, "forbidden")
    enable(other_org, "highlights")
    assert_problem(other_org.delete(f"/v1/highlights/{highlight['id']}"), 404, "not-found")
    assert_problem(other_org.get(path), 404, "not-found")
    assert api.delete(f"/v1/highlights/{highlight['id']}").status_code == 204
    assert api.get(path).get_json() == {"items": []}
    assert_problem(api.delete(f"/v1/highlights/{highlight['id']}"), 404, "not-found")

    audit = api.get("/v1/audit-log?resourceId=" + highlight["id"]).get_json()["items"]
    assert [row["action"] for row in audit] == ["highlight.delete", "highlight.create"]


@pytest.mark.parametrize(
    ("start", "end", "text", "field"),
    [
        (7, 14, "Storage", "text"),  # not the slice
        (8, 15, "storage", "text"),  # UTF-16 offsets: one unit too far
        (0, len(CONTENT) + 1, CONTENT, "endOffset"),
        (len(CONTENT), len(CONTENT) + 1, "x", "startOffset"),
        (6, 6, "x", "endOffset"),
        (-1, 4, "Grid", "startOffset"),
        (0, 4, "", "text"),
    ],
)
def test_a_passage_that_is_not_the_blocks_slice_is_422(
    api: Api, episode: dict[str, Any], start: int, end: int, text: str, field: str
) -> None:
    enable(api, "highlights")
    path = f"/v1/episodes/{episode['id']}/highlights"
    problem = assert_problem(
        api.post(path, json=body(episode, start, end, text)), 422, "validation-error"
    )
    assert field in problem["errors"]
    assert api.get(path).get_json() == {"items": []}


def test_an_unknown_block_or_episode_is_404(api: Api, episode: dict[str, Any]) -> None:
    enable(api, "highlights")
    path = f"/v1/episodes/{episode['id']}/highlights"
    unknown_block = {**body(episode, 0, 4, "Grid"), "blockId": "blk_missing"}
    assert_problem(api.post(path, json=unknown_block), 404, "not-found")
    assert_problem(
        api.post("/v1/episodes/ep_missing/highlights", json=body(episode, 0, 4, "Grid")),
        404,
        "not-found",
    )
