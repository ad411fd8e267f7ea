"""The reader's pages through Flask's test client: what each answers, that every change
is a CSRF-protected POST that writes nothing without its token, and that a page never
shows another organization's episode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers

from manyfutures.core.episodes.episode import Episode, EpisodeStatus
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    GenerationSucceeded,
    RequestEpisodeCommand,
    StartGenerationCommand,
)
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.entrypoints.console.sign_in import DEV_IDENTITIES
from manyfutures.settings import Settings
from tests.support.container import deterministic_container
from tests.support.fakes import RecordingDispatcher, RecordingGenerator
from tests.unit.console.console_client import ConsoleClient

READER = DEV_IDENTITIES[0].actor
OTHER = DEV_IDENTITIES[2].actor


class Reader:
    def __init__(self) -> None:
        container = deterministic_container(Settings())
        self.dispatcher = RecordingDispatcher()
        self.generator = RecordingGenerator()
        container.scheduling.dispatcher.override(providers.Object(self.dispatcher))
        container.generation.generator.override(providers.Object(self.generator))
        self.console = ConsoleClient.build(container)
        self.console.sign_in()
        self.container = container
        self.project: Project = container.projects.create_project()(
            CreateProjectCommand(READER, "Grid storage", "Batteries")
        )

    def started(self) -> Episode:
        """An episode requested now, claimed and being written."""
        self.start_now()
        return self.episode(self.generator.requests[-1].episode_id)

    def start_now(self) -> None:
        """Generate now, then the scheduler's tick and the worker's job."""
        self.container.generation.request_episode_now()(
            RequestEpisodeCommand(READER, self.project.id)
        )
        self.container.scheduling.scheduler_tick()()
        start = self.container.generation.start_generation()
        for item in self.dispatcher.dispatched:
            start(StartGenerationCommand(item.organization_id, item.id, item.attempt_count))
        self.dispatcher.dispatched = []

    def published(self, content: str) -> Episode:
        """An episode started, then written as ``content`` and published."""
        episode = self.started()
        request = self.generator.requests[-1]
        self.container.generation.apply_generation_result()(
            GenerationSucceeded(
                READER.organization_id, request.run_id, "Grid week", "S", content, (), "", 0.5, ()
            )
        )
        return self.episode(episode.id)

    def failed(self) -> Episode:
        request = self.generator.requests[-1] if self.generator.requests else None
        if request is None or self.episode(request.episode_id).status.value != "GENERATING":
            self.started()
            request = self.generator.requests[-1]
        self.container.generation.apply_generation_result()(
            GenerationFailed(READER.organization_id, request.run_id, "Writer timed out", False)
        )
        return self.episode(request.episode_id)

    def episode(self, episode_id: str) -> Episode:
        with self.container.adapters.uow_factory()(READER.organization_id) as uow:
            found = uow.episodes.get(episode_id)
        assert found is not None
        return found

    def page(self, path: str) -> tuple[int, str]:
        response = self.console.client.get(path)
        return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def reader() -> Reader:
    return Reader()


def test_an_episode_being_written_polls_and_a_published_one_stops(reader: Reader) -> None:
    episode = reader.started()
    status, fragment = reader.page(f"/episodes/{episode.id}/status")
    assert status == 200
    assert 'data-status="generating"' in fragment
    assert 'data-stage="research"' in fragment
    assert 'hx-trigger="every 1s"' in fragment
    reader.failed()
    _, fragment = reader.page(f"/episodes/{episode.id}/status")
    assert 'data-status="failed"' in fragment
    assert "hx-trigger" not in fragment


def test_a_failed_episode_shows_its_error_and_is_retried_by_a_post(reader: Reader) -> None:
    episode = reader.failed()
    status, page = reader.page(f"/projects/{reader.project.id}/episodes")
    assert status == 200
    assert "Writer timed out" in page
    assert f'action="/episodes/{episode.id}/retry"' in page
    status, retry_page = reader.page(f"/episodes/{episode.id}/retry")
    assert (status, "Writer timed out" in retry_page) == (200, True)

    reader.container.adapters.clock().advance(timedelta(minutes=1))
    response = reader.console.post(f"/episodes/{episode.id}/retry", {}, token_from="/projects")

    assert response.status_code == 303
    assert response.location == f"/projects/{reader.project.id}/episodes"
    assert reader.episode(episode.id).status is EpisodeStatus.DRAFT


def test_generate_now_refused_by_the_daily_limit_says_so(reader: Reader) -> None:
    reader.container.identity.update_organization()(
        UpdateOrganizationCommand(READER, daily_cost_limit_gbp="1.00")
    )
    reader.start_now()  # its 1.50 reservation is refused: the breaker opens
    assert reader.generator.requests == []

    response = reader.console.post(
        f"/projects/{reader.project.id}/episodes", {}, token_from="/projects"
    )

    assert response.status_code == 429
    assert "daily AI cost limit" in response.get_data(as_text=True)


def test_an_empty_planning_note_is_refused_beside_the_box(reader: Reader) -> None:
    episode = reader.started()
    response = reader.console.post(
        f"/projects/{reader.project.id}/planning-notes",
        {"note": "   ", "episode_id": episode.id},
        token_from="/projects",
    )
    assert response.status_code == 422
    assert "note must not be empty" in response.get_data(as_text=True)
    with reader.container.adapters.uow_factory()(READER.organization_id) as uow:
        assert uow.planning_notes.list_for_project(reader.project.id) == []


@pytest.mark.parametrize(
    "path",
    [
        "/projects/{project}/episodes",
        "/projects/{project}/planning-notes",
        "/episodes/{episode}/retry",
        "/episodes/{episode}/highlights",
        "/notifications/read-all",
    ],
)
def test_every_reader_post_needs_the_csrf_token(reader: Reader, path: str) -> None:
    episode = reader.failed()
    before = reader.episode(episode.id)
    form = {"note": "More on sodium", "text": "x", "episode_id": episode.id}

    response = reader.console.client.post(
        path.format(project=reader.project.id, episode=episode.id), data=form
    )

    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert reader.episode(episode.id) == before
    with reader.container.adapters.uow_factory()(READER.organization_id) as uow:
        assert uow.planning_notes.list_for_project(reader.project.id) == []
        assert uow.notifications.count_unread(READER.user_id) == 1  # the failure's


def test_another_organizations_episode_is_not_found(reader: Reader) -> None:
    episode = reader.started()
    reader.console.client.post(
        "/sign-out", data={"csrf_token": reader.console.csrf_token("/projects")}
    )
    reader.console.sign_in(2)
    assert OTHER.organization_id != READER.organization_id
    for path in (f"/episodes/{episode.id}", f"/episodes/{episode.id}/status"):
        status, _ = reader.page(path)
        assert status == 404, path
    status, _ = reader.page(f"/projects/{reader.project.id}/episodes")
    assert status == 404


def test_a_quoted_passage_is_highlighted_where_the_feature_is_on(reader: Reader) -> None:
    episode = reader.published("# Grid week\n\nStorage prices fell again.")
    _, page = reader.page(f"/episodes/{episode.id}")
    assert "Highlights" not in page  # the organization has not the feature
    reader.container.identity.update_organization()(
        UpdateOrganizationCommand(READER, enabled_features=("highlights",))
    )
    path = f"/episodes/{episode.id}/highlights"

    missing = reader.console.post(path, {"text": "prices rose"}, token_from="/projects")
    found = reader.console.post(
        path, {"text": "prices fell", "note": "why"}, token_from="/projects"
    )

    assert missing.status_code == 422
    assert "copied exactly as it is written" in missing.get_data(as_text=True)
    assert found.status_code == 303
    _, page = reader.page(f"/episodes/{episode.id}")
    assert "<blockquote>prices fell</blockquote>" in page


def test_a_planning_note_is_kept_and_the_reader_goes_back_to_the_episode(reader: Reader) -> None:
    episode = reader.started()
    path = f"/projects/{reader.project.id}/planning-notes"
    back = reader.console.post(
        path, {"note": "More on sodium", "episode_id": episode.id}, token_from="/projects"
    )
    # A form that names no episode (not the reader page's) goes to the project's list.
    elsewhere = reader.console.post(path, {"note": "And on grids"}, token_from="/projects")

    assert (back.status_code, back.location) == (303, f"/episodes/{episode.id}")
    assert (elsewhere.status_code, elsewhere.location) == (
        303,
        f"/projects/{reader.project.id}/episodes",
    )
    with reader.container.adapters.uow_factory()(READER.organization_id) as uow:
        notes = uow.planning_notes.list_for_project(reader.project.id)
    assert sorted(n.note for n in notes) == ["And on grids", "More on sodium"]


def test_a_highlight_is_removed_from_the_reader_page(reader: Reader) -> None:
    episode = reader.published("# Grid week\n\nStorage prices fell again.")
    reader.container.identity.update_organization()(
        UpdateOrganizationCommand(READER, enabled_features=("highlights",))
    )
    reader.console.post(
        f"/episodes/{episode.id}/highlights", {"text": "prices fell"}, token_from="/projects"
    )
    with reader.container.adapters.uow_factory()(READER.organization_id) as uow:
        (highlight,) = uow.highlights.list_for_episode(episode.id)

    response = reader.console.post(
        f"/highlights/{highlight.id}/delete", {"episode_id": episode.id}, token_from="/projects"
    )

    assert (response.status_code, response.location) == (303, f"/episodes/{episode.id}")
    with reader.container.adapters.uow_factory()(READER.organization_id) as uow:
        assert uow.highlights.list_for_episode(episode.id) == []
    _, page = reader.page(f"/episodes/{episode.id}")
    assert "<blockquote>prices fell</blockquote>" not in page
