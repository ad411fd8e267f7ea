"""Readers rate episodes; the writer of the project's next episode reads the latest verdicts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.feedback.use_cases import SubmitEpisodeFeedbackCommand
from manyfutures.core.generation.use_cases import (
    RECENT_FEEDBACK_IN_PAYLOAD,
    RequestEpisodeCommand,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, StateConflictError, ValidationError
from tests.support.builders import T0
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import succeeded


def published_episode(harness: Harness, actor: Actor, project_id: str | None = None) -> str:
    if project_id is None:
        project_id = harness.create_project(CreateProjectCommand(actor, "Energy", "Grid")).id
    harness.request_now(RequestEpisodeCommand(actor, project_id))
    harness.tick()
    harness.run_dispatched()
    request = harness.generator.requests[-1]
    harness.apply_result(succeeded(request.run_id, org=actor.organization_id))
    return request.episode_id


def test_a_verdict_is_stored_with_an_audit_row_and_an_event(harness: Harness, alice: Actor) -> None:
    episode_id = published_episode(harness, alice)
    submitted = harness.submit_feedback(
        SubmitEpisodeFeedbackCommand(alice, episode_id, 4, "  Good, less jargon  ")
    )
    feedback = submitted.feedback
    assert not submitted.replaced
    assert (feedback.episode_id, feedback.user_id, feedback.rating, feedback.comment) == (
        episode_id,
        alice.user_id,
        4,
        "Good, less jargon",
    )
    with harness.uow() as uow:
        assert uow.episode_feedback.get_for_reader(episode_id, alice.user_id) == feedback
        (audit,) = uow.audit_log.list(action="episode_feedback.submit")
        (event,) = uow.events.list("feedback_submitted")
    assert (audit.user_id, audit.resource_id, audit.old_value) == (alice.user_id, feedback.id, None)
    assert audit.new_value == '{"comment": "Good, less jargon", "rating": 4}'
    assert event.user_id == alice.user_id
    assert event.event_data == {
        "episodeId": episode_id,
        "projectId": feedback.project_id,
        "rating": 4,
        "replaced": False,
    }


def test_a_second_verdict_replaces_the_first(harness: Harness, alice: Actor) -> None:
    episode_id = published_episode(harness, alice)
    first = harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, episode_id, 2, "Dull"))
    harness.clock.advance(timedelta(hours=1))
    replacing = harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, episode_id, 5))
    assert replacing.replaced and not first.replaced
    first, second = first.feedback, replacing.feedback
    assert (second.id, second.created_at) == (first.id, first.created_at)
    assert (second.rating, second.comment, second.updated_at) == (5, None, harness.clock.now())
    with harness.uow() as uow:
        assert list(uow.episode_feedback.recent_for_project(first.project_id, 10)) == [second]
        audits = uow.audit_log.list(action="episode_feedback.submit")
        events = uow.events.list("feedback_submitted")
    assert sorted((a.old_value or "", a.new_value) for a in audits) == [
        ("", '{"comment": "Dull", "rating": 2}'),
        ('{"comment": "Dull", "rating": 2}', '{"comment": null, "rating": 5}'),
    ]
    assert [e.event_data["replaced"] for e in events] == [False, True]


def test_each_reader_has_their_own_verdict(harness: Harness, alice: Actor) -> None:
    episode_id = published_episode(harness, alice)
    reader = harness.member("org_a", "user_reader")
    harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, episode_id, 2))
    harness.submit_feedback(SubmitEpisodeFeedbackCommand(reader, episode_id, 5))
    with harness.uow() as uow:
        assert uow.episode_feedback.get_for_reader(episode_id, alice.user_id).rating == 2  # type: ignore[union-attr]
        assert uow.episode_feedback.get_for_reader(episode_id, reader.user_id).rating == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rating", "comment", "fields"),
    [
        (0, None, {"rating"}),
        (6, None, {"rating"}),
        (3, "x" * 2001, {"comment"}),
        (9, "x" * 2001, {"rating", "comment"}),
    ],
)
def test_bad_verdicts_are_refused_and_nothing_is_stored(
    harness: Harness, alice: Actor, rating: int, comment: str | None, fields: set[str]
) -> None:
    episode_id = published_episode(harness, alice)
    with pytest.raises(ValidationError) as raised:
        harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, episode_id, rating, comment))
    assert set(raised.value.field_errors) == fields
    with harness.uow() as uow:
        assert uow.episode_feedback.get_for_reader(episode_id, alice.user_id) is None
        assert uow.events.list("feedback_submitted") == []


def test_another_organizations_episode_is_not_found(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    episode_id = published_episode(harness, alice)
    with pytest.raises(NotFoundError):
        harness.submit_feedback(SubmitEpisodeFeedbackCommand(bob, episode_id, 5))
    with pytest.raises(NotFoundError):
        harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, "ep_missing", 5))


def test_only_a_published_episode_can_be_rated(harness: Harness, alice: Actor) -> None:
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    episode = harness.request_now(RequestEpisodeCommand(alice, project.id))
    with pytest.raises(StateConflictError):
        harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, episode.id, 5))


def test_the_next_run_carries_the_projects_latest_verdicts_newest_first(
    harness: Harness, alice: Actor
) -> None:
    project_id = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid")).id
    episodes = [published_episode(harness, alice, project_id) for _ in range(3)]
    other_project = published_episode(harness, alice)  # another project's verdict stays out
    readers = [harness.member("org_a", f"user_{n}") for n in range(RECENT_FEEDBACK_IN_PAYLOAD)]
    for minute, reader in enumerate(readers):
        harness.clock.advance(timedelta(minutes=1))
        rating = minute % 5 + 1
        harness.submit_feedback(
            SubmitEpisodeFeedbackCommand(reader, episodes[minute % 3], rating, f"note {minute}")
        )
    harness.clock.advance(timedelta(minutes=1))
    harness.submit_feedback(SubmitEpisodeFeedbackCommand(alice, other_project, 1))
    harness.clock.advance(timedelta(minutes=1))
    # The first reader changes their mind: replaced, and now the newest.
    harness.submit_feedback(SubmitEpisodeFeedbackCommand(readers[0], episodes[0], 5, "better"))

    harness.request_now(RequestEpisodeCommand(alice, project_id))
    harness.tick()
    harness.run_dispatched()
    sent = harness.generator.requests[-1].recent_feedback
    assert len(sent) == RECENT_FEEDBACK_IN_PAYLOAD
    assert (sent[0].episode_id, sent[0].rating, sent[0].comment) == (episodes[0], 5, "better")
    assert [f.comment for f in sent[1:]] == [
        f"note {m}" for m in range(RECENT_FEEDBACK_IN_PAYLOAD - 1, 0, -1)
    ]
    assert sent[0].submitted_at > sent[1].submitted_at > T0


def test_a_first_episode_has_no_feedback_to_read(harness: Harness, alice: Actor) -> None:
    published_episode(harness, alice)
    assert harness.generator.requests[-1].recent_feedback == ()
