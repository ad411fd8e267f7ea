"""PATCH on planning notes (edit while pending, archive while pending or sent) and
episode feedback over HTTP, with the pipeline driven by the production use cases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    GenerationSucceeded,
    ModelUsage,
)
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem, create_project
from tests.unit.http.test_episodes import start_generation


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


def publish(container: Container, run_id: str) -> None:
    container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id="org_a",
            run_id=run_id,
            title="Grid batteries",
            summary="Storage is scaling",
            content="# Grid batteries\n\n" + "word " * 300,
            usage=(ModelUsage("gpt-4o", 10, 5, Decimal("0.01")),),
        )
    )


def note_on_new_project(api: Api, text: str = "More on storage") -> tuple[str, dict[str, Any]]:
    project = create_project(api)
    response = api.post(f"/v1/projects/{project['id']}/planning-notes", json={"note": text})
    assert response.status_code == 201
    return project["id"], response.get_json()


def run_episode(
    api: Api, container: Container, generator: RecordingGenerator, project_id: str
) -> tuple[str, str]:
    episode = api.post(f"/v1/projects/{project_id}/episodes").get_json()
    return episode["id"], start_generation(container, generator)


def note(api: Api, note_id: str, project_id: str) -> dict[str, Any]:
    (found,) = [
        n
        for n in api.get(f"/v1/projects/{project_id}/planning-notes").get_json()["items"]
        if n["id"] == note_id
    ]
    return found


# --- planning notes -------------------------------------------------------------------


def test_a_note_is_sent_with_the_run_and_incorporated_when_the_episode_publishes(
    api: Api, container: Container, generator: RecordingGenerator
) -> None:
    project_id, created = note_on_new_project(api)
    episode_id, run_id = run_episode(api, container, generator, project_id)
    sent = api.get(f"/v1/projects/{project_id}/planning-notes?status=sent").get_json()["items"]
    assert [(n["id"], n["episodeId"]) for n in sent] == [(created["id"], episode_id)]
    publish(container, run_id)
    done = note(api, created["id"], project_id)
    assert (done["status"], done["episodeId"]) == ("incorporated", episode_id)
    assert done["processedAt"] is not None


def test_a_note_is_pending_again_after_its_run_fails_for_good(
    api: Api, container: Container, generator: RecordingGenerator
) -> None:
    project_id, created = note_on_new_project(api)
    _, run_id = run_episode(api, container, generator, project_id)
    container.generation.apply_generation_result()(
        GenerationFailed("org_a", run_id, "bad brief", retryable=False)
    )
    again = note(api, created["id"], project_id)
    assert (again["status"], again["episodeId"]) == ("pending", None)


def test_the_author_edits_a_pending_note(api: Api) -> None:
    project_id, created = note_on_new_project(api)
    response = api.patch(f"/v1/planning-notes/{created['id']}", json={"note": " Batteries "})
    assert response.status_code == 200
    assert (response.get_json()["note"], response.get_json()["status"]) == ("Batteries", "pending")
    assert note(api, created["id"], project_id)["note"] == "Batteries"


def test_only_the_author_edits_and_an_admin_gets_403(api: Api, member: Api) -> None:
    project = create_project(api)
    members_note = member.post(
        f"/v1/projects/{project['id']}/planning-notes", json={"note": "by member"}
    ).get_json()
    assert_problem(
        api.patch(f"/v1/planning-notes/{members_note['id']}", json={"note": "by admin"}),
        403,
        "forbidden",
    )
    assert note(api, members_note["id"], project["id"])["note"] == "by member"


def test_a_sent_note_cannot_be_edited_but_can_be_archived(
    api: Api, member: Api, container: Container, generator: RecordingGenerator
) -> None:
    project = create_project(api)
    members_note = member.post(
        f"/v1/projects/{project['id']}/planning-notes", json={"note": "by member"}
    ).get_json()
    admins_note = api.post(
        f"/v1/projects/{project['id']}/planning-notes", json={"note": "by admin"}
    ).get_json()
    episode_id, run_id = run_episode(api, container, generator, project["id"])
    assert_problem(
        member.patch(f"/v1/planning-notes/{members_note['id']}", json={"note": "changed"}),
        409,
        "state-conflict",
    )
    # The author and an admin may still archive a sent note; anyone else may not.
    assert_problem(
        member.patch(f"/v1/planning-notes/{admins_note['id']}", json={"status": "archived"}),
        403,
        "forbidden",
    )
    by_admin = api.patch(f"/v1/planning-notes/{members_note['id']}", json={"status": "archived"})
    assert by_admin.status_code == 200
    assert (by_admin.get_json()["status"], by_admin.get_json()["episodeId"]) == (
        "archived",
        episode_id,
    )
    publish(container, run_id)
    assert note(api, members_note["id"], project["id"])["status"] == "archived"
    assert note(api, admins_note["id"], project["id"])["status"] == "incorporated"
    assert_problem(
        api.patch(f"/v1/planning-notes/{admins_note['id']}", json={"status": "archived"}),
        409,
        "state-conflict",
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"note": "x", "status": "archived"}, {"note": ""}, {"note": "x" * 2001}, {"note": 5}],
)
def test_a_patch_changes_exactly_one_valid_thing(api: Api, body: dict[str, Any]) -> None:
    project_id, created = note_on_new_project(api)
    assert_problem(
        api.patch(f"/v1/planning-notes/{created['id']}", json=body), 422, "validation-error"
    )
    assert note(api, created["id"], project_id) == created


def test_notes_of_another_organization_are_404(api: Api, other_org: Api) -> None:
    project_id, created = note_on_new_project(api)
    assert_problem(
        other_org.post(f"/v1/projects/{project_id}/planning-notes", json={"note": "n"}),
        404,
        "not-found",
    )
    assert_problem(
        other_org.patch(f"/v1/planning-notes/{created['id']}", json={"note": "mine now"}),
        404,
        "not-found",
    )


# --- episode feedback -----------------------------------------------------------------


@pytest.fixture
def published(api: Api, container: Container, generator: RecordingGenerator) -> str:
    project = create_project(api)
    episode_id, run_id = run_episode(api, container, generator, project["id"])
    publish(container, run_id)
    return episode_id


def test_a_reader_rates_an_episode_and_a_second_rating_replaces_the_first(
    api: Api, container: Container, published: str
) -> None:
    path = f"/v1/episodes/{published}/feedback"
    first = api.post(path, json={"rating": 2, "comment": "Too long"})
    assert first.status_code == 201
    body = first.get_json()
    assert (body["episodeId"], body["authorId"], body["rating"], body["comment"]) == (
        published,
        "user_a",
        2,
        "Too long",
    )
    second = api.post(path, json={"rating": 5})
    assert second.status_code == 200
    assert (second.get_json()["id"], second.get_json()["rating"]) == (body["id"], 5)
    assert second.get_json()["comment"] is None
    with container.adapters.uow_factory()("org_a") as uow:
        assert [
            f.rating for f in uow.episode_feedback.recent_for_project(body["projectId"], 10)
        ] == [5]
        assert len(uow.events.list("feedback_submitted")) == 2
        assert len(uow.audit_log.list(action="episode_feedback.submit")) == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"rating": 0}, {"rating"}),
        ({"rating": 6}, {"rating"}),
        ({"rating": 4.5}, {"rating"}),
        ({"rating": "5"}, {"rating"}),
        ({"rating": True}, {"rating"}),
        ({}, {"rating"}),
        ({"rating": 3, "comment": "x" * 2001}, {"comment"}),
        ({"rating": 3, "stars": 3}, {"stars"}),
    ],
)
def test_bad_ratings_are_422_with_field_errors(
    api: Api, container: Container, published: str, body: dict[str, Any], fields: set[str]
) -> None:
    response = api.post(f"/v1/episodes/{published}/feedback", json=body)
    problem = assert_problem(response, 422, "validation-error")
    assert set(problem["errors"]) == fields
    with container.adapters.uow_factory()("org_a") as uow:
        assert uow.events.list("feedback_submitted") == []


def test_feedback_on_another_organizations_episode_is_404(other_org: Api, published: str) -> None:
    assert_problem(
        other_org.post(f"/v1/episodes/{published}/feedback", json={"rating": 5}), 404, "not-found"
    )


def test_an_episode_not_yet_published_cannot_be_rated(api: Api) -> None:
    project = create_project(api)
    episode = api.post(f"/v1/projects/{project['id']}/episodes").get_json()
    assert_problem(
        api.post(f"/v1/episodes/{episode['id']}/feedback", json={"rating": 5}),
        409,
        "state-conflict",
    )


def test_the_next_generation_carries_the_feedback(
    api: Api,
    container: Container,
    generator: RecordingGenerator,
    clock: ManualClock,
    published: str,
) -> None:
    api.post(f"/v1/episodes/{published}/feedback", json={"rating": 4, "comment": "More maps"})
    project_id = api.get(f"/v1/episodes/{published}").get_json()["projectId"]
    clock.advance(timedelta(minutes=1))  # "generate now" again: a new slot
    run_episode(api, container, generator, project_id)
    (carried,) = generator.requests[-1].recent_feedback
    assert (carried.episode_id, carried.rating, carried.comment) == (published, 4, "More maps")
