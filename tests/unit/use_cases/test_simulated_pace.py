"""Memory mode's simulated generator walks a run stage by stage on the clock, through the
use cases n8n's callbacks call, so the console can show each stage (simulated_generator.py)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from manyfutures.adapters.memory.simulated_generator import SimulatedGenerator
from manyfutures.core.episodes.episode import Episode, EpisodeStatus, GenerationStage
from manyfutures.core.generation.ports import GenerationRequest
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor
from tests.unit.use_cases.conftest import Harness

STAGE = timedelta(seconds=10)


def started(harness: Harness, actor: Actor) -> GenerationRequest:
    """A run opened for a slot due now: the request the generator is handed."""
    harness.create_project(CreateProjectCommand(actor, "Energy", "Grid", deliver_first_now=True))
    harness.tick()
    harness.run_dispatched()
    return harness.generator.requests[-1]


def simulation(harness: Harness, stage_seconds: float) -> SimulatedGenerator:
    return SimulatedGenerator(
        harness.report_progress, harness.apply_result, harness.clock, stage_seconds
    )


def episode(harness: Harness, request: GenerationRequest) -> Episode:
    with harness.uow(request.organization_id) as uow:
        found = uow.episodes.get(request.episode_id)
    assert found is not None
    return found


def shown(harness: Harness, request: GenerationRequest) -> tuple[str, str | None, int]:
    seen = episode(harness, request)
    stage = seen.progress_stage.value if seen.progress_stage else None
    return (seen.status.value, stage, seen.progress_percent)


def test_each_stage_is_reported_when_its_time_comes_then_the_episode_is_published(
    harness: Harness, alice: Actor
) -> None:
    request = started(harness, alice)
    simulated = simulation(harness, STAGE.total_seconds())
    simulated.start(request)
    assert shown(harness, request) == ("GENERATING", "research", 0)

    harness.clock.advance(STAGE - timedelta(microseconds=1))
    assert simulated.advance().reports == 0
    seen = []
    for _ in range(4):
        harness.clock.advance(STAGE)
        assert simulated.advance().reports == 1
        seen.append(shown(harness, request))
    assert seen == [
        ("GENERATING", "research", 30),
        ("GENERATING", "writing", 60),
        ("GENERATING", "review", 90),
        ("PUBLISHED", "review", 100),
    ]
    harness.clock.advance(STAGE * 10)
    assert simulated.advance().reports == 0  # a finished run is forgotten


def test_a_beat_that_comes_late_sends_every_report_due_in_order(
    harness: Harness, alice: Actor
) -> None:
    request = started(harness, alice)
    simulated = simulation(harness, STAGE.total_seconds())
    simulated.start(request)
    harness.clock.advance(STAGE * 3)
    assert simulated.advance().reports == 3
    assert shown(harness, request) == ("GENERATING", "review", 90)
    harness.clock.advance(STAGE)
    assert simulated.advance().reports == 1
    assert episode(harness, request).status is EpisodeStatus.PUBLISHED


def test_at_a_pace_of_zero_the_run_is_published_before_start_returns(
    harness: Harness, alice: Actor
) -> None:
    request = started(harness, alice)
    simulation(harness, 0).start(request)
    published = episode(harness, request)
    assert (published.status, published.progress_stage) == (
        EpisodeStatus.PUBLISHED,
        GenerationStage.REVIEW,
    )


def test_a_run_whose_report_fails_is_dropped_and_left_to_its_deadline(
    harness: Harness, alice: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    request = started(harness, alice)
    simulated = simulation(harness, STAGE.total_seconds())
    simulated.start(dataclasses.replace(request, run_id="run_unknown"))
    simulated.start(request)
    harness.clock.advance(STAGE)
    assert simulated.advance().reports == 1  # the known run's research; the other crashed
    assert "simulated generation of run run_unknown crashed" in caplog.text
    harness.clock.advance(STAGE * 3)
    assert simulated.advance().reports == 3
    assert episode(harness, request).status is EpisodeStatus.PUBLISHED
