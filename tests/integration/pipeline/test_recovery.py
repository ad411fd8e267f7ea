"""Only the Postgres queue recovers work: a killed worker's item and a job Redis lost both
come back when their lease runs out, and each episode is published exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
from decimal import Decimal

import pytest
from rq import Queue, Worker
from rq.registry import StartedJobRegistry

from manyfutures.container import Container
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from tests.integration.pipeline.conftest import Pipeline, eventually
from tests.support.redis_server import empty

pytestmark = pytest.mark.integration


def due_item(pipeline: Pipeline, container: Container) -> ScheduleQueueItem:
    """A project whose first slot is due now; its queue item."""
    alice = pipeline.member(container, "org_a", "user_alice")
    project = container.projects.create_project()(
        CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True)
    )
    with container.adapters.uow_factory()("org_a") as uow:
        (item,) = uow.queue.list_for_project(project.id)
    return item


def stored(container: Container, item: ScheduleQueueItem) -> ScheduleQueueItem:
    with container.adapters.uow_factory()("org_a") as uow:
        found = uow.queue.get(item.id)
    assert found is not None
    return found


def start_worker(pipeline: Pipeline, **overrides: str) -> subprocess.Popen[bytes]:
    before = len(Worker.all(connection=pipeline.redis()))
    process = pipeline.start("worker", **overrides)
    eventually(
        lambda: len(Worker.all(connection=pipeline.redis())) > before, 20, pipeline.logs_text
    )
    return process


def assert_published_once(container: Container, item: ScheduleQueueItem) -> None:
    """One block, one usage row's worth of cost, one event: however many attempts ran."""
    with container.adapters.uow_factory()("org_a") as uow:
        episode = uow.episodes.get(item.episode_id)
        assert episode is not None and episode.published_at is not None
        assert len(uow.blocks.list_for_episode(episode.id)) == 1
        published = [
            e
            for e in uow.events.list("episode_published")
            if e.event_data["episodeId"] == episode.id
        ]
        assert len(published) == 1
        daily = uow.token_usage.daily(episode.published_at.date())
        assert daily is not None
        assert (daily.total_cost_gbp, daily.episode_count) == (Decimal("0.03"), 1)


def test_a_worker_killed_mid_job_is_recovered_at_the_deadline_and_published_once(
    pipeline: Pipeline,
) -> None:
    container = pipeline.container()
    item = due_item(pipeline, container)
    # The first worker's simulated n8n takes 30 s a stage: it is mid-job when killed.
    doomed = start_worker(pipeline, MANYFUTURES_SIMULATED_STAGE_SECONDS="30")
    pipeline.start("scheduler")
    running = StartedJobRegistry("simulation", connection=pipeline.redis())
    eventually(lambda: len(running.get_job_ids()) == 1, 20, pipeline.logs_text)
    with container.adapters.uow_factory()("org_a") as uow:
        first_run = uow.runs.latest_for_episode(item.episode_id)
    assert first_run is not None and stored(container, item).run_opened_at is not None

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    start_worker(pipeline)

    def published() -> bool:
        with container.adapters.uow_factory()("org_a") as uow:
            episode = uow.episodes.get(item.episode_id)
        return episode is not None and episode.status is EpisodeStatus.PUBLISHED

    eventually(published, 30, pipeline.logs_text)
    final = stored(container, item)
    assert (final.status, final.attempt_count) == (QueueStatus.COMPLETED, 2)
    with container.adapters.uow_factory()("org_a") as uow:
        killed = uow.runs.get(first_run.id)
        second = uow.runs.latest_for_episode(item.episode_id)
        episode = uow.episodes.get(item.episode_id)
    assert killed is not None and second is not None and episode is not None
    assert (killed.status, killed.error) == (
        RunStatus.FAILED,
        "generation timed out: no result within 3 s",
    )
    assert (second.status, second.attempt) == (RunStatus.SUCCEEDED, 2)
    assert episode.generation_errors == ["generation timed out: no result within 3 s"]
    assert_published_once(container, item)


def test_a_job_redis_lost_is_claimed_again_after_the_start_lease_and_published_once(
    pipeline: Pipeline,
) -> None:
    container = pipeline.container()
    item = due_item(pipeline, container)
    pipeline.start("scheduler")
    queue = Queue("generation", connection=pipeline.redis())
    eventually(lambda: queue.count == 1, 20, pipeline.logs_text)
    assert queue.job_ids == [f"generation-{item.id}-1"]
    empty(pipeline.redis())  # Redis restarted without persistence: the job is gone
    start_worker(pipeline)

    def published() -> bool:
        return stored(container, item).status is QueueStatus.COMPLETED

    eventually(published, 30, pipeline.logs_text)
    assert stored(container, item).attempt_count == 2
    with container.adapters.uow_factory()("org_a") as uow:
        run = uow.runs.latest_for_episode(item.episode_id)
        episode = uow.episodes.get(item.episode_id)
    assert run is not None and episode is not None
    # The lost attempt never opened a run: the episode saw one attempt, and no error.
    assert (run.attempt, episode.generation_attempts, episode.generation_errors) == (2, 1, [])
    assert_published_once(container, item)
