"""The list pages' read side (``uow.listings``, ADR 0026): on every adapter, the same
items in the same order as the repositories' pages, mapped as the core's read-model
mappers map the entities (which tests/unit/http/test_read_models.py holds equal to the
schemas' dumps), and nothing of another organization or of a deleted project."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage, Source
from manyfutures.core.listings.model import episode_item, project_item
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import ProjectStatus
from tests.contract.conftest import Storage
from tests.support import builders as b
from tests.support.builders import T0

LATER = T0 + timedelta(days=3, hours=5, minutes=7, seconds=11, microseconds=123456)


def _projects(storage: Storage) -> None:
    with storage.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_1", "org_a"))
        uow.projects.add(
            b.project(
                "proj_2",
                "org_a",
                title="Ünïcode — titles",
                cadence=Cadence.create("custom", [0, 3, 6], "23:59", "America/New_York"),
                status=ProjectStatus.PAUSED,
                next_scheduled_at=None,
                version=7,
                updated_at=LATER,
            )
        )
        uow.projects.add(
            b.project("proj_3", "org_a", cadence=Cadence.create("daily", [], "00:05", "UTC"))
        )
        deleted = b.project("proj_4", "org_a")
        deleted.soft_delete("user_1", LATER)
        uow.projects.add(deleted)
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.organizations.add(b.organization("org_b"))
        uow.projects.add(b.project("proj_5", "org_b"))
        uow.commit()


def _episodes(storage: Storage) -> None:
    _projects(storage)
    with storage.uow("org_a") as uow:
        uow.episodes.add(b.episode("ep_1", "proj_1", "org_a"))
        uow.episodes.add(
            b.episode(
                "ep_2",
                "proj_1",
                "org_a",
                status=EpisodeStatus.PUBLISHED,
                title="A title",
                summary="A summary",
                published_at=LATER,
                reading_minutes=4,
                sources=[Source("One", "https://example.org/1"), Source("Two", "https://x.org/2")],
                generation_attempts=2,
                generation_errors=["timeout", "bad output"],
                progress_stage=GenerationStage.REVIEW,
                progress_percent=100,
            )
        )
        uow.episodes.add(b.episode("ep_3", "proj_1", "org_a", progress_stage=None))
        uow.episodes.add(b.episode("ep_9", "proj_2", "org_a"))
        uow.episodes.add(b.episode("ep_8", "proj_4", "org_a"))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.episodes.add(b.episode("ep_7", "proj_5", "org_b"))
        uow.commit()


def test_the_project_page_is_the_repository_page_as_read_models(storage: Storage) -> None:
    _projects(storage)
    with storage.uow("org_a") as uow:
        for limit, after in ((20, None), (2, None), (2, "proj_2"), (1, "proj_1"), (5, "proj_9")):
            expected = [project_item(p) for p in uow.projects.list(limit, after)]
            assert uow.listings.projects(limit, after) == expected
        assert [p["id"] for p in uow.listings.projects(20)] == ["proj_3", "proj_2", "proj_1"]
        assert [p["id"] for p in uow.listings.projects(2, "proj_2")] == ["proj_1"]
        assert uow.listings.projects(5, "proj_1") == []


def test_the_project_page_reads_this_unit_of_works_own_writes(storage: Storage) -> None:
    _projects(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_6", "org_a"))
        assert uow.listings.projects(1) == [project_item(b.project("proj_6", "org_a"))]
    with storage.uow("org_a") as uow:
        assert uow.listings.projects(1)[0]["id"] == "proj_3"


def test_the_episode_page_is_the_repository_page_as_read_models(storage: Storage) -> None:
    _episodes(storage)
    with storage.uow("org_a") as uow:
        for limit, after in ((20, None), (2, None), (2, "ep_2"), (1, "ep_1"), (5, "ep_99")):
            expected = [
                episode_item(e) for e in uow.episodes.list_for_project("proj_1", limit, after)
            ]
            assert uow.listings.episodes("proj_1", limit, after) == expected
        assert [e["id"] for e in uow.listings.episodes("proj_1", 20) or []] == [
            "ep_3",
            "ep_2",
            "ep_1",
        ]
        assert [e["id"] for e in uow.listings.episodes("proj_2", 20) or []] == ["ep_9"]


def test_a_live_project_without_episodes_in_the_page_has_an_empty_page(storage: Storage) -> None:
    _episodes(storage)
    with storage.uow("org_a") as uow:
        assert uow.listings.episodes("proj_3", 20) == []
        assert uow.listings.episodes("proj_1", 20, "ep_1") == []


def test_no_page_for_a_project_that_is_deleted_missing_or_another_organizations(
    storage: Storage,
) -> None:
    _episodes(storage)
    with storage.uow("org_a") as uow:
        assert uow.listings.episodes("proj_4", 20) is None  # deleted, though it has episodes
        assert uow.listings.episodes("proj_404", 20) is None
        assert uow.listings.episodes("proj_5", 20) is None  # org_b's
        assert uow.listings.episodes("proj_5", 20, "ep_9") is None
    with storage.uow("org_b") as uow:
        assert [e["id"] for e in uow.listings.episodes("proj_5", 20) or []] == ["ep_7"]
        assert [p["id"] for p in uow.listings.projects(20)] == ["proj_5"]
