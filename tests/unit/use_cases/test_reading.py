"""The console's reads, each in one unit of work (core/generation/reading.py), and the
unread count its navigation shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.feedback.highlights import CreateHighlightCommand
from manyfutures.core.feedback.model import PlanningNoteStatus
from manyfutures.core.feedback.use_cases import AddPlanningNoteCommand
from manyfutures.core.generation.reading import (
    EpisodeReading,
    ProjectEpisodesQuery,
    ReadEpisodeQuery,
)
from manyfutures.core.generation.use_cases import RequestEpisodeCommand
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.notifications.use_cases import NotificationCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import start_now, succeeded


def published(harness: Harness, actor: Actor) -> str:
    """The id of an episode just published in a new project."""
    run_id = start_now(harness, actor)
    harness.apply_result(succeeded(run_id))
    return harness.generator.requests[-1].episode_id


def read(harness: Harness, actor: Actor, episode_id: str, opening: bool = True) -> EpisodeReading:
    query = ReadEpisodeQuery(actor, episode_id, opening)
    return harness.container.generation.read_episode()(query)


def events(harness: Harness, event_type: str) -> int:
    with harness.uow() as uow:
        return len(uow.events.list(event_type))


def test_a_project_comes_with_its_episodes_newest_first(harness: Harness, alice: Actor) -> None:
    episode_id = published(harness, alice)
    project_id = harness.generator.requests[-1].project_id
    requested = harness.request_now(RequestEpisodeCommand(alice, project_id))
    list_them = harness.container.generation.list_project_episodes()
    page = list_them(ProjectEpisodesQuery(alice, project_id))
    assert page.project.title == "Energy"
    ids = [e.id for e in page.episodes]
    assert ids == sorted(ids, reverse=True)
    assert {requested.id, episode_id} <= set(ids)
    assert [e.status for e in page.episodes if e.id == episode_id] == [EpisodeStatus.PUBLISHED]


def test_another_organizations_project_is_not_found(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    published(harness, alice)
    project_id = harness.generator.requests[-1].project_id
    with pytest.raises(NotFoundError):
        harness.container.generation.list_project_episodes()(ProjectEpisodesQuery(bob, project_id))


def test_reading_a_published_episode_records_the_opening_once_per_reader(
    harness: Harness, alice: Actor
) -> None:
    episode_id = published(harness, alice)
    reading = read(harness, alice, episode_id)
    assert (reading.episode.id, reading.project.title) == (episode_id, "Energy")
    assert [b.content for b in reading.blocks] == [succeeded("run").content]
    read(harness, alice, episode_id)
    assert (events(harness, "episode_opened"), events(harness, "first_episode_opened")) == (2, 1)
    # Shown again beside a refused form: not another opening.
    assert read(harness, alice, episode_id, opening=False).episode.id == episode_id
    assert events(harness, "episode_opened") == 2


def test_a_draft_is_not_read_yet(harness: Harness, alice: Actor) -> None:
    start_now(harness, alice)
    reading = read(harness, alice, harness.generator.requests[-1].episode_id)
    assert (reading.episode.status, reading.blocks) == (EpisodeStatus.GENERATING, ())
    assert events(harness, "episode_opened") == 0


def test_highlights_come_only_where_the_organization_has_the_feature(
    harness: Harness, alice: Actor
) -> None:
    episode_id = published(harness, alice)
    assert read(harness, alice, episode_id).highlights is None
    harness.container.identity.update_organization()(
        UpdateOrganizationCommand(alice, enabled_features=("highlights",))
    )
    assert read(harness, alice, episode_id).highlights == ()
    block = read(harness, alice, episode_id).blocks[0]
    highlight = harness.container.feedback.create_highlight()(
        CreateHighlightCommand(alice, episode_id, block.id, 2, 7, block.content[2:7])
    )
    assert read(harness, alice, episode_id).highlights == (highlight,)


def test_the_notes_waiting_for_the_next_episode_come_with_the_reading(
    harness: Harness, alice: Actor
) -> None:
    episode_id = published(harness, alice)
    project_id = harness.generator.requests[-1].project_id
    note = harness.add_note(AddPlanningNoteCommand(alice, project_id, "More on storage"))
    (pending,) = read(harness, alice, episode_id).pending_notes
    assert (pending.id, pending.status) == (note.id, PlanningNoteStatus.PENDING)
    harness.clock.advance(timedelta(minutes=1))
    harness.request_now(RequestEpisodeCommand(alice, project_id))
    harness.tick()
    harness.run_dispatched()  # the next run carries it: no longer waiting
    assert read(harness, alice, episode_id).pending_notes == ()


def test_the_unread_count_alone(harness: Harness, alice: Actor) -> None:
    count = harness.container.notifications.count_unread_notifications()
    assert count(alice) == 0
    published(harness, alice)
    assert count(alice) == 1
    with harness.uow() as uow:
        (notification,) = uow.notifications.page_for_user(alice.user_id, 10, None)
    harness.container.notifications.mark_notification_read()(
        NotificationCommand(alice, notification.id)
    )
    assert count(alice) == 0
