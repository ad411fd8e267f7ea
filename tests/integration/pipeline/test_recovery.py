"""Only the Postgres queue recovers work: a killed worker's item and a job Redis lost both
come back when their lease runs out, and each episode is published exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
import pytest
from rq import Queue, Worker
from rq.registry import StartedJobRegistry
from sqlalchemy import text
from werkzeug.serving import make_server

from manyfutures.container import Container
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.entrypoints.http.app import create_app
from tests.integration.n8n.test_pipeline import HEADER_VALUE, completed
from tests.integration.pipeline.conftest import Pipeline, eventually
from tests.support.late_app import LateApp
from tests.support.n8n_standin import N8nStandIn, ReceivedJob
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


def assert_published_once(
    container: Container, item: ScheduleQueueItem, cost: Decimal = Decimal("0.03")
) -> None:
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
        assert (daily.total_cost_gbp, daily.episode_count) == (cost, 1)


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
    # Long enough that the second claim's job surely opens its run on a busy machine.
    lease = {"MANYFUTURES_START_LEASE_SECONDS": "5"}
    pipeline.start("scheduler", **lease)
    queue = Queue("generation", connection=pipeline.redis())
    eventually(lambda: queue.count == 1, 20, pipeline.logs_text)
    assert queue.job_ids == [f"generation-{item.id}-1"]
    empty(pipeline.redis())  # Redis restarted without persistence: the job is gone
    start_worker(pipeline, **lease)

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


def call_back(job: ReceivedJob, body: dict[str, object]) -> None:
    """What the workflow does at the end: POST the result to the job's callback URL."""
    callback = job.body["callback"]
    httpx.post(
        callback["url"],
        content=json.dumps({"runId": job.body["runId"], **body}).encode(),
        headers={"Authorization": f"Bearer {callback['token']}"},
        timeout=10,
    )


@contextmanager
def api_server(pipeline: Pipeline, **settings: str) -> Iterator[str]:
    """The API, in this process under a real HTTP server, for n8n's callbacks; its URL."""
    late = LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    late.app = create_app(pipeline.container(**settings, MANYFUTURES_PUBLIC_URL=url))
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    serving.start()
    try:
        yield url
    finally:
        server.shutdown()
        serving.join()


def test_a_worker_killed_inside_the_webhook_post_is_retried_and_published_once(
    pipeline: Pipeline,
) -> None:
    """n8n received the job, but the worker died before the answer: the run it opened times
    out at its deadline and the retry publishes. n8n goes on with the first job anyway, and
    its late result changes nothing but the usage ledger (money it really spent)."""
    container = pipeline.container()
    item = due_item(pipeline, container)
    with N8nStandIn() as n8n:

        def the_workflow(job: ReceivedJob) -> None:
            if job.body["attempt"] == 1:  # slow: it finishes after the retry was sent
                deadline = time.monotonic() + 30
                while len(n8n.jobs) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
            call_back(job, completed())

        n8n.on_job = the_workflow
        n8n.hold_answers()
        settings = {
            "MANYFUTURES_GENERATOR": "n8n",
            "N8N_WEBHOOK_URL": n8n.url,
            "N8N_WEBHOOK_HEADER_VALUE": HEADER_VALUE,
            "MANYFUTURES_N8N_READ_TIMEOUT_SECONDS": "30",
        }
        with api_server(pipeline, **settings) as api_url:
            settings["MANYFUTURES_PUBLIC_URL"] = api_url
            doomed = start_worker(pipeline, **settings)
            pipeline.start("scheduler", **settings)
            eventually(lambda: len(n8n.jobs) == 1, 20, pipeline.logs_text)
            os.kill(doomed.pid, signal.SIGKILL)  # inside the POST: n8n holds its answer
            doomed.wait(10)
            n8n.release()
            start_worker(pipeline, **settings)
            eventually(lambda: stored(container, item).status is QueueStatus.COMPLETED, 30)
            n8n.wait_for_scripts(30)

    assert [job.body["attempt"] for job in n8n.jobs] == [1, 2]
    assert stored(container, item).attempt_count == 2
    with container.adapters.uow_factory()("org_a") as uow:
        first = uow.runs.get(n8n.jobs[0].body["runId"])
        second = uow.runs.get(n8n.jobs[1].body["runId"])
    with pipeline.database.owner_engine.connect() as connection:
        usage_runs = connection.execute(
            text("SELECT run_id FROM token_usage WHERE episode_id = :id ORDER BY run_id"),
            {"id": item.episode_id},
        ).scalars()
    assert first is not None and second is not None
    assert (first.status, first.error) == (
        RunStatus.FAILED,
        "generation timed out: no result within 3 s",
    )
    assert second.status is RunStatus.SUCCEEDED
    assert list(usage_runs) == sorted([first.id, second.id])
    assert_published_once(container, item, cost=Decimal("0.06"))
