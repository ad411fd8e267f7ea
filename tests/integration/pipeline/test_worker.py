"""``manyfutures worker`` is an ordinary RQ worker, and with the scheduler it publishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from rq import Queue, Worker
from rq.job import Job, JobStatus

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from tests.integration.pipeline.conftest import Pipeline, eventually

pytestmark = pytest.mark.integration
RQ = str(Path(sys.executable).with_name("rq"))


def test_the_worker_shows_in_rq_info_and_a_hung_job_is_stopped_by_its_timeout(
    pipeline: Pipeline,
) -> None:
    worker_process = pipeline.start("worker")
    connection = pipeline.redis()
    eventually(lambda: len(Worker.all(connection=connection)) == 1, 90, pipeline.logs_text)
    (worker,) = Worker.all(connection=connection)
    assert worker.queue_names() == ["generation", "assistant", "outbox", "simulation"]
    info = subprocess.run(
        [RQ, "info", "--url", pipeline.redis_url, "--only-workers"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert worker.name in info
    assert "generation" in info

    queue = Queue("generation", connection=connection)
    hung = queue.enqueue(time.sleep, 30, job_timeout=1)
    after = queue.enqueue(os.getpid)
    started = time.monotonic()
    eventually(lambda: after.get_status(refresh=True) is JobStatus.FINISHED, 15, pipeline.logs_text)
    assert time.monotonic() - started < 10  # the 30 s sleep was cut short at 1 s
    assert hung.get_status(refresh=True) is JobStatus.FAILED
    result = Job.fetch(hung.id, connection=connection).latest_result()
    assert result is not None and "JobTimeoutException" in (result.exc_string or "")
    # The job ran in the worker's own process (no work horse), which carried on.
    assert after.return_value() == worker_process.pid
    assert worker_process.poll() is None


def test_a_due_episode_is_published_through_the_scheduler_and_a_worker(
    pipeline: Pipeline,
) -> None:
    container = pipeline.container()
    alice = pipeline.member(container, "org_a", "user_alice")
    project = container.projects.create_project()(
        CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True)
    )
    uow = container.adapters.uow_factory()
    with uow("org_a") as reading:
        (item,) = reading.queue.list_for_project(project.id)
    pipeline.start("worker")
    connection = pipeline.redis()
    eventually(lambda: len(Worker.all(connection=connection)) == 1, 90, pipeline.logs_text)
    pipeline.start("scheduler")

    def published() -> bool:
        with uow("org_a") as reading:
            episode = reading.episodes.get(item.episode_id)
        return episode is not None and episode.status is EpisodeStatus.PUBLISHED

    eventually(published, 30, pipeline.logs_text)
    with uow("org_a") as reading:
        stored = reading.queue.get(item.id)
        run = reading.runs.latest_for_episode(item.episode_id)
        blocks = reading.blocks.list_for_episode(item.episode_id)
    assert stored is not None and run is not None
    assert (stored.status, stored.attempt_count) == (QueueStatus.COMPLETED, 1)
    assert (run.status, run.attempt, len(blocks)) == (RunStatus.SUCCEEDED, 1, 1)
    start_job = Job.fetch(f"generation-{item.id}-1", connection=connection)
    assert (start_job.get_status(), start_job.return_value()) == (JobStatus.FINISHED, run.id)
    simulation = Job.fetch(f"simulation-{run.id}", connection=connection)
    assert simulation.get_status() is JobStatus.FINISHED


def test_forked_workers_are_replaced_when_killed_and_stop_on_sigterm(
    pipeline: Pipeline,
) -> None:
    """``manyfutures worker --processes 2``: a worker SIGKILLed (the chaos run kills one
    every few seconds) is replaced by a fork of the supervisor, which takes jobs."""
    supervisor = pipeline.start("worker", "--processes", "2")
    connection = pipeline.redis()

    def worker_pids() -> set[int]:
        return {w.pid for w in Worker.all(connection=connection) if _alive(w.pid)}

    eventually(lambda: len(worker_pids()) == 2, 90, pipeline.logs_text)
    first = worker_pids()
    assert supervisor.pid not in first
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    eventually(lambda: len(worker_pids() - first) == 1, 30, pipeline.logs_text)
    (replacement,) = worker_pids() - first
    assert worker_pids() == first - {victim} | {replacement}

    queue = Queue("generation", connection=connection)
    jobs = [queue.enqueue(os.getpid) for _ in range(6)]
    eventually(
        lambda: all(j.get_status(refresh=True) is JobStatus.FINISHED for j in jobs),
        30,
        pipeline.logs_text,
    )
    assert {j.return_value() for j in jobs} <= worker_pids()

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(30) == 0
    assert not [pid for pid in first - {victim} | {replacement} if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_generation_backlog_does_not_hold_back_mail(pipeline: Pipeline) -> None:
    """Delivery jobs are taken in turn with generation jobs, not after all of them: a
    burst of due episodes keeps the generation queue full for minutes, and a delivery
    job that waits longer than the outbox lease expires unrun."""
    connection = pipeline.redis()
    generation, outbox = (Queue(name, connection=connection) for name in ("generation", "outbox"))
    backlog = [generation.enqueue(os.getpid) for _ in range(6)]
    mail = outbox.enqueue(os.getpid)
    worker = pipeline.start("worker", "--burst")
    assert worker.wait(120) == 0, pipeline.logs_text()

    def started(job: Job) -> datetime:
        job.refresh()
        assert job.get_status() is JobStatus.FINISHED and job.started_at is not None
        return job.started_at

    order = sorted([*backlog, mail], key=started)
    assert order.index(mail) <= 1, [job.origin for job in order]
