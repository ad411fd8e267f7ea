"""The list pages' read models (core/listings) are exactly what the schemas' own ``dump``
gives of the same entities, key order included: the API's pages read them instead."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from manyfutures.core.episodes.episode import Episode, EpisodeStatus, GenerationStage, Source
from manyfutures.core.listings.model import episode_item, project_item
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.entrypoints.http.schemas import EpisodeSchema, ProjectSchema, items_page, page
from tests.support.builders import T0, episode, project

LATER = datetime(2026, 3, 1, 17, 45, 12, 123456, tzinfo=timezone(timedelta(hours=-5)))

PROJECTS = [
    project(),
    project(
        "proj_2",
        title="Ünïcode — titles",
        cadence=Cadence.create("custom", [0, 3, 6], "23:59", "America/New_York"),
        status=ProjectStatus.PAUSED,
        next_scheduled_at=None,
        version=7,
        updated_at=LATER,
    ),
    project("proj_3", cadence=Cadence.create("daily", [], "00:00", "UTC"), created_at=LATER),
]

EPISODES = [
    episode(),
    episode(
        "ep_2",
        status=EpisodeStatus.PUBLISHED,
        title="A title",
        summary="A summary",
        published_at=LATER,
        reading_minutes=4,
        sources=[Source("One", "https://example.org/1"), Source("Two", "https://example.org/2")],
        generation_attempts=2,
        generation_errors=["timeout", "bad output"],
        progress_stage=GenerationStage.REVIEW,
        progress_percent=100,
    ),
    episode("ep_3", scheduled_for=T0.astimezone(UTC), progress_stage=None, reading_minutes=None),
]


@pytest.mark.parametrize("item", PROJECTS, ids=lambda p: p.id)
def test_a_project_read_model_is_the_schema_dump(item: Project) -> None:
    expected = ProjectSchema().dump(item)
    assert project_item(item) == expected
    assert json.dumps(project_item(item)) == json.dumps(expected)  # key order too


@pytest.mark.parametrize("item", EPISODES, ids=lambda e: e.id)
def test_an_episode_read_model_is_the_schema_dump(item: Episode) -> None:
    expected = EpisodeSchema().dump(item)
    assert episode_item(item) == expected
    assert json.dumps(episode_item(item)) == json.dumps(expected)  # key order too


def test_a_page_of_read_models_is_the_schema_page() -> None:
    projects = [project_item(p) for p in PROJECTS]
    assert items_page(projects, 3) == page(PROJECTS, ProjectSchema, 3)
    assert items_page(projects, 3)["nextCursor"] == "proj_3"
    episodes = [episode_item(e) for e in EPISODES]
    assert items_page(episodes, 20) == page(EPISODES, EpisodeSchema, 20)
    assert items_page(episodes, 20)["nextCursor"] is None
    assert items_page([], 20) == {"items": [], "nextCursor": None}
