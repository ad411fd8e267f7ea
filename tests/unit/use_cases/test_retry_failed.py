"""The operator's retry of an organization's failed episodes (``episodes retry-failed``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.retry_failed import RetryFailedEpisodesCommand
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    RequestEpisodeCommand,
    ResultOutcome,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import ValidationError
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import queue_item_for, succeeded


def fail_one(harness: Harness, actor: Actor, project_id: str) -> str:
    """A generation of the project started and failed for good; returns its episode id."""
    harness.request_now(RequestEpisodeCommand(actor, project_id))
    harness.tick()
    harness.run_dispatched()
    run_id = harness.generator.requests[-1].run_id
    failed = GenerationFailed(actor.organization_id, run_id, "n8n webhook answered 503", False)
    assert harness.apply_result(failed) is ResultOutcome.FAILED
    _, episode, _ = queue_item_for(harness, run_id, actor.organization_id)
    return str(episode.id)


def test_every_failed_episode_gets_a_slot_of_its_own_and_publishes(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    first = fail_one(harness, alice, project.id)
    harness.clock.advance(timedelta(minutes=1))
    second = fail_one(harness, alice, project.id)
    other_project = harness.create_project(CreateProjectCommand(bob, "Water", "Rivers"))
    bobs = fail_one(harness, bob, other_project.id)
    harness.clock.advance(timedelta(minutes=1))
    retry = harness.container.generation.retry_failed_episodes()

    retried = retry(RetryFailedEpisodesCommand("org_a"))

    assert sorted(r.episode_id for r in retried) == sorted([first, second])
    assert {r.last_error for r in retried} == {"n8n webhook answered 503"}
    # Two episodes of one project, two live slots (the queue holds one per slot): both
    # due by the next beat, both claimed.
    harness.clock.advance(timedelta(seconds=1))
    assert harness.tick().items_dispatched == 2
    harness.run_dispatched()
    for request in harness.generator.requests[-2:]:
        assert harness.apply_result(succeeded(request.run_id)) is ResultOutcome.PUBLISHED
    with harness.uow("org_b") as uow:
        untouched = uow.episodes.get(bobs)
    assert untouched is not None
    assert untouched.status is EpisodeStatus.FAILED


def test_a_dry_run_changes_nothing_and_the_limit_bounds_the_retry(
    harness: Harness, alice: Actor
) -> None:
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    fail_one(harness, alice, project.id)
    harness.clock.advance(timedelta(minutes=1))
    fail_one(harness, alice, project.id)
    harness.clock.advance(timedelta(minutes=1))
    retry = harness.container.generation.retry_failed_episodes()

    assert len(retry(RetryFailedEpisodesCommand("org_a", dry_run=True))) == 2
    assert harness.tick().items_dispatched == 0
    assert len(retry(RetryFailedEpisodesCommand("org_a", limit=1))) == 1
    assert harness.tick().items_dispatched == 1
    with pytest.raises(ValidationError):
        retry(RetryFailedEpisodesCommand("org_a", limit=0))
