"""Episodes generated through n8n, end to end over real HTTP in both directions.

The API runs under a real HTTP server (werkzeug's, threaded, on 127.0.0.1) over memory
storage and over PostgreSQL; n8n is played by a real HTTP server (tests/support/
n8n_standin.py) that answers the webhook and then, from its own thread, calls back the
API over HTTP with the job's token, as the shipped workflow does. The test acts as the
scheduler (one tick) and the worker (it runs each dispatched job), so each step is
explicit; the clock is the unit suite's manual one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from werkzeug.serving import BaseWSGIServer, make_server

from manyfutures.adapters.n8n.callback_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    callback_signature,
)
from manyfutures.core.generation.use_cases import StartGenerationCommand
from manyfutures.core.scheduling.leases import DEFAULT_GENERATION_DEADLINE
from manyfutures.entrypoints.http.app import create_app
from tests.integration.api.conftest import Deployment, memory_deployment, postgres_deployment
from tests.support.builders import T0
from tests.support.fakes import ManualClock, RecordingDispatcher
from tests.support.late_app import LateApp
from tests.support.n8n_standin import N8nStandIn, ReceivedJob
from tests.unit.http.conftest import TEST_SETTINGS, create_project

pytestmark = pytest.mark.integration

HEADER_NAME, HEADER_VALUE = "X-Webhook-Key", "n8n-header-auth-value"
CONTENT = "# Grid batteries\n\n" + "word " * 400
USAGE = [{"model": "gpt-4o", "promptTokens": 1200, "completionTokens": 800, "costGbp": "0.03"}]


@dataclass
class Pipeline:
    deployment: Deployment
    n8n: N8nStandIn
    api_url: str
    dispatcher: RecordingDispatcher
    answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clock(self) -> ManualClock:
        clock = self.deployment.container.adapters.clock()
        assert isinstance(clock, ManualClock)
        return clock

    def request_episode(self) -> str:
        project = create_project(self.deployment.api)
        api = self.deployment.api
        episode: dict[str, Any] = api.post(f"/v1/projects/{project['id']}/episodes").get_json()
        return str(episode["id"])

    def tick_and_work(self) -> int:
        """One scheduler tick, then every job it dispatched, run here as the worker would."""
        dispatched = self.deployment.container.scheduling.scheduler_tick()().items_dispatched
        jobs, self.dispatcher.dispatched = self.dispatcher.dispatched, []
        start = self.deployment.container.generation.start_generation()
        for item in jobs:
            start(StartGenerationCommand(item.organization_id, item.id, item.attempt_count))
        return dispatched

    def episode(self, episode_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = self.deployment.api.get(f"/v1/episodes/{episode_id}").get_json()
        return detail

    def spent(self) -> Decimal:
        with self.deployment.container.adapters.uow_factory()("org_a") as uow:
            daily = uow.token_usage.daily(T0.date())
            return daily.total_cost_gbp if daily is not None else Decimal("0")

    def call_back(
        self, job: ReceivedJob, body: dict[str, Any], secret: str | None = None
    ) -> dict[str, Any]:
        """What the workflow does: sign the raw body (when given the secret its Crypto
        credential holds) and POST it to the payload's callback url with the token."""
        callback = job.body["callback"]
        raw = json.dumps({"runId": job.body["runId"], **body}).encode()
        headers = {
            "Authorization": f"Bearer {callback['token']}",
            "Content-Type": "application/json",
        }
        if secret is not None:
            timestamp = str(int(self.clock.now().timestamp()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = callback_signature(secret, timestamp, raw)
        response = httpx.post(callback["url"], content=raw, headers=headers, timeout=10)
        answer: dict[str, Any] = {"status": response.status_code, **response.json()}
        self.answers.append(answer)
        return answer


def progress(stage: str, percent: int) -> dict[str, Any]:
    return {"type": "progress", "stage": stage, "percent": percent}


def completed(title: str = "Grid batteries") -> dict[str, Any]:
    return {
        "type": "completed",
        "title": title,
        "summary": "Storage is scaling",
        "content": CONTENT,
        "sources": [{"title": "IEA", "url": "https://example.org/iea"}],
        "reasoning": "Three signals agree",
        "confidence": 0.82,
        "tokenUsage": USAGE,
    }


def the_workflow(pipeline: Pipeline) -> Callable[[ReceivedJob], None]:
    """research → writing → review → the episode, each reported as it happens."""

    def run(job: ReceivedJob) -> None:
        for stage, percent in (("research", 10), ("writing", 45), ("review", 80)):
            pipeline.call_back(job, progress(stage, percent))
        pipeline.call_back(job, completed())

    return run


SECRET = "n8n-callback-secret"


@contextmanager
def running(request: pytest.FixtureRequest, secret: str = "") -> Iterator[Pipeline]:
    """The API (memory or PostgreSQL storage, by the fixture's param) under a real server,
    pointed at a fresh n8n stand-in, with RQ's part played by the test."""
    late_app = LateApp()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, late_app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    serving.start()
    api_url = f"http://127.0.0.1:{server.server_port}"
    with N8nStandIn() as n8n:
        settings = replace(
            TEST_SETTINGS,
            generator="n8n",
            n8n_webhook_url=n8n.url,
            n8n_webhook_header_name=HEADER_NAME,
            n8n_webhook_header_value=HEADER_VALUE,
            n8n_read_timeout_seconds=0.5,
            n8n_callback_secret=secret,
            public_url=api_url,
        )
        deployments = (
            memory_deployment(settings)
            if request.param == "memory"
            else postgres_deployment(request.getfixturevalue("postgres_database"), settings)
        )
        deployment = next(deployments)
        dispatcher = RecordingDispatcher()
        deployment.container.scheduling.dispatcher.override(providers.Object(dispatcher))
        late_app.app = create_app(deployment.container)
        try:
            yield Pipeline(deployment, n8n, api_url, dispatcher)
            n8n.wait_for_scripts()
        finally:
            n8n.release()
            n8n.wait_for_scripts()
            server.shutdown()
            serving.join()
            deployments.close()


@pytest.fixture(params=["memory", "postgres"])
def pipeline(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    with running(request) as pipeline:
        yield pipeline


@pytest.fixture(params=["memory", "postgres"])
def signed_pipeline(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    """The same, with N8N_CALLBACK_SECRET set: every callback must be signed."""
    with running(request, SECRET) as pipeline:
        yield pipeline


def test_an_episode_is_published_through_n8n(pipeline: Pipeline) -> None:
    pipeline.n8n.on_job = the_workflow(pipeline)
    episode_id = pipeline.request_episode()
    assert pipeline.tick_and_work() == 1
    pipeline.n8n.wait_for_scripts()

    (job,) = pipeline.n8n.jobs
    assert job.headers[HEADER_NAME] == HEADER_VALUE
    assert job.body["callback"]["url"] == f"{pipeline.api_url}/webhooks/n8n/episodes"
    assert (job.body["episodeId"], job.body["attempt"], job.body["maxCostGbp"]) == (
        episode_id,
        1,
        "1.50",
    )
    assert [(a["status"], a["outcome"]) for a in pipeline.answers] == [
        (200, "applied"),
        (200, "applied"),
        (200, "applied"),
        (200, "published"),
    ]
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["title"], episode["generationAttempts"]) == (
        "PUBLISHED",
        "Grid batteries",
        1,
    )
    assert len(episode["blocks"]) == 1
    assert pipeline.spent() == Decimal("0.03")


def test_a_5xx_from_n8n_is_a_failed_attempt_retried_with_backoff(pipeline: Pipeline) -> None:
    pipeline.n8n.status = 503
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["generationErrors"]) == (
        "DRAFT",
        ["n8n webhook answered 503"],
    )
    assert pipeline.tick_and_work() == 0  # backing off: 2 s after the first attempt
    pipeline.n8n.status = 202
    pipeline.n8n.on_job = the_workflow(pipeline)
    pipeline.clock.advance(timedelta(seconds=2))
    assert pipeline.tick_and_work() == 1
    pipeline.n8n.wait_for_scripts()
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["generationAttempts"]) == ("PUBLISHED", 2)
    assert [job.body["attempt"] for job in pipeline.n8n.jobs] == [1, 2]


def test_a_webhook_that_times_out_is_retried_and_what_n8n_spent_meanwhile_counts(
    pipeline: Pipeline,
) -> None:
    """We gave up waiting, but n8n had the job: its late report is a duplicate that still
    has its usage recorded, and the retry publishes."""
    pipeline.n8n.hold_answers()
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    assert pipeline.episode(episode_id)["generationErrors"] == [
        "n8n webhook timed out waiting for an answer"
    ]
    pipeline.n8n.on_job = the_workflow(pipeline)
    pipeline.n8n.release()  # n8n answers (to nobody) and runs the first job
    pipeline.n8n.wait_for_scripts()
    assert [a["outcome"] for a in pipeline.answers] == [
        "run_finished",
        "run_finished",
        "run_finished",
        "duplicate",
    ]
    assert pipeline.episode(episode_id)["status"] == "DRAFT"
    assert pipeline.spent() == Decimal("0.03")

    pipeline.n8n.held.clear()
    pipeline.clock.advance(timedelta(seconds=2))
    pipeline.tick_and_work()
    pipeline.n8n.wait_for_scripts()
    assert pipeline.episode(episode_id)["status"] == "PUBLISHED"
    assert pipeline.spent() == Decimal("0.06")


def test_an_n8n_that_never_calls_back_times_out_and_the_item_is_run_again_after_backoff(
    pipeline: Pipeline,
) -> None:
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    assert pipeline.episode(episode_id)["status"] == "GENERATING"
    pipeline.clock.advance(DEFAULT_GENERATION_DEADLINE - timedelta(seconds=1))
    assert pipeline.tick_and_work() == 0
    assert pipeline.episode(episode_id)["status"] == "GENERATING"
    pipeline.n8n.on_job = the_workflow(pipeline)
    pipeline.clock.advance(timedelta(seconds=1))
    assert pipeline.tick_and_work() == 0  # timed out: failed, retried after the backoff
    assert pipeline.episode(episode_id)["status"] != "GENERATING"
    pipeline.clock.advance(timedelta(seconds=2))
    assert pipeline.tick_and_work() == 1
    pipeline.n8n.wait_for_scripts()
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["generationAttempts"]) == ("PUBLISHED", 2)
    assert episode["generationErrors"] == ["generation timed out: no result within 600 s"]


def test_duplicate_callbacks_publish_once_and_count_once(pipeline: Pipeline) -> None:
    def twice(job: ReceivedJob) -> None:
        pipeline.call_back(job, completed())
        pipeline.call_back(job, completed("A second copy"))

    pipeline.n8n.on_job = twice
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    pipeline.n8n.wait_for_scripts()
    assert [(a["outcome"], a["applied"]) for a in pipeline.answers] == [
        ("published", True),
        ("episode_final", False),
    ]
    episode = pipeline.episode(episode_id)
    assert (episode["title"], len(episode["blocks"])) == ("Grid batteries", 1)
    assert pipeline.spent() == Decimal("0.03")


def test_progress_out_of_order_never_moves_backwards(pipeline: Pipeline) -> None:
    def shuffled(job: ReceivedJob) -> None:
        for stage, percent in (("writing", 45), ("research", 10), ("review", 80), ("writing", 60)):
            pipeline.call_back(job, progress(stage, percent))

    pipeline.n8n.on_job = shuffled
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    pipeline.n8n.wait_for_scripts()
    assert [a["outcome"] for a in pipeline.answers] == [
        "applied",
        "out_of_order",
        "applied",
        "out_of_order",
    ]
    status = pipeline.deployment.api.get(f"/v1/episodes/{episode_id}/status").get_json()
    assert (status["status"], status["stage"], status["percent"]) == ("GENERATING", "review", 80)


def test_a_late_callback_after_a_retry_started_is_superseded_but_its_usage_counts(
    pipeline: Pipeline,
) -> None:
    first_may_finish, second_may_finish = threading.Event(), threading.Event()

    def slow_then_fast(job: ReceivedJob) -> None:
        mine = first_may_finish if job.body["attempt"] == 1 else second_may_finish
        pipeline.call_back(job, progress("research", 10))
        assert mine.wait(10)
        pipeline.call_back(job, completed(f"Attempt {job.body['attempt']}"))

    pipeline.n8n.on_job = slow_then_fast
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    pipeline.clock.advance(DEFAULT_GENERATION_DEADLINE)  # attempt 1 times out
    assert pipeline.tick_and_work() == 0
    pipeline.clock.advance(timedelta(seconds=2))  # past the backoff: attempt 2 starts
    assert pipeline.tick_and_work() == 1
    first_may_finish.set()
    second_may_finish.set()
    pipeline.n8n.wait_for_scripts()

    by_attempt = {a["runId"]: a for a in pipeline.answers if a["type"] == "completed"}
    first_run, second_run = (job.body["runId"] for job in pipeline.n8n.jobs)
    assert (by_attempt[first_run]["outcome"], by_attempt[first_run]["applied"]) == (
        "superseded",
        False,
    )
    assert by_attempt[second_run]["outcome"] == "published"
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["title"], len(episode["blocks"])) == (
        "PUBLISHED",
        "Attempt 2",
        1,
    )
    assert pipeline.spent() == Decimal("0.06")


def test_with_a_callback_secret_signed_callbacks_publish_and_unsigned_ones_change_nothing(
    signed_pipeline: Pipeline,
) -> None:
    pipeline = signed_pipeline

    def unsigned_then_signed(job: ReceivedJob) -> None:
        pipeline.call_back(job, completed("Forged"))
        pipeline.call_back(job, progress("writing", 45), SECRET)
        pipeline.call_back(job, completed(), SECRET)

    pipeline.n8n.on_job = unsigned_then_signed
    episode_id = pipeline.request_episode()
    pipeline.tick_and_work()
    pipeline.n8n.wait_for_scripts()
    refused, *accepted = pipeline.answers
    assert (refused["status"], refused["type"]) == (401, "/problems/unauthenticated")
    assert [(a["status"], a["outcome"]) for a in accepted] == [
        (200, "applied"),
        (200, "published"),
    ]
    episode = pipeline.episode(episode_id)
    assert (episode["status"], episode["title"]) == ("PUBLISHED", "Grid batteries")
