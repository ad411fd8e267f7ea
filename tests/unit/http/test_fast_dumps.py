"""The hand-written page dumps give exactly what the schemas' own ``dump`` gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from manyfutures.core.episodes.episode import Episode, EpisodeStatus, GenerationStage, Source
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.entrypoints.http.schemas import (
    EpisodeSchema,
    ProjectSchema,
    dump_episode,
    dump_project,
    page,
)
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
def test_project_dump_matches_the_schema(item: Project) -> None:
    expected = ProjectSchema().dump(item)
    assert dump_project(item) == expected
    assert json.dumps(dump_project(item)) == json.dumps(expected)  # key order too


@pytest.mark.parametrize("item", EPISODES, ids=lambda e: e.id)
def test_episode_dump_matches_the_schema(item: Episode) -> None:
    expected = EpisodeSchema().dump(item)
    assert dump_episode(item) == expected
    assert json.dumps(dump_episode(item)) == json.dumps(expected)  # key order too


def test_a_page_of_a_hot_schema_is_what_the_schema_would_dump() -> None:
    assert page(PROJECTS, ProjectSchema, 3) == {
        "items": ProjectSchema().dump(PROJECTS, many=True),
        "nextCursor": "proj_3",
    }
    assert page(EPISODES, EpisodeSchema, 20) == {
        "items": EpisodeSchema().dump(EPISODES, many=True),
        "nextCursor": None,
    }


def test_a_schema_without_a_hand_written_dump_dumps_itself() -> None:
    class TitleOnly(ProjectSchema):
        class Meta:
            fields = ("id", "title")

    assert page(PROJECTS, TitleOnly, 3)["items"] == [
        {"id": p.id, "title": p.title} for p in PROJECTS
    ]
