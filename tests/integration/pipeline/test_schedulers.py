"""Two ``manyfutures scheduler`` processes ticking at the same instant: no duplicate queue
row, no duplicate claim, no duplicate job."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue

from manyfutures.adapters.rq.dispatcher import RqDispatcher
from manyfutures.container import Container
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.scheduling.queue import QueueStatus
from tests.integration.pipeline.conftest import Pipeline, eventually
from tests.support import builders as b
from tests.support.redis_server import empty

pytestmark = pytest.mark.integration
ORGANIZATIONS = ("org_a", "org_b", "org_c")
PER_ORGANIZATION = 100
DISPATCHED = re.compile(r"tick: \d+ projects advanced, \d+ items failed, (\d+) dispatched")


def due_at(container: Container, instant: datetime) -> dict[str, str]:
    """PER_ORGANIZATION daily projects in each organization, their slots due at ``instant``,
    written straight through the repositories so it takes a moment; item id per project."""
    items = {}
    cadence = Cadence.create("daily", [], "09:00", "Europe/London")
    for org in ORGANIZATIONS:
        with container.adapters.uow_factory()(org) as uow:
            uow.organizations.add(b.organization(org))
            for n in range(PER_ORGANIZATION):
                project_id, episode_id = f"proj_{org}_{n:03d}", f"ep_{org}_{n:03d}"
                item_id = f"queue_{org}_{n:03d}"
                uow.projects.add(
                    b.project(project_id, org, cadence=cadence, next_scheduled_at=instant)
                )
                uow.episodes.add(b.episode(episode_id, project_id, org, scheduled_for=instant))
                uow.queue.add(b.queue_item(item_id, project_id, episode_id, org, slot=instant))
                items[project_id] = item_id
            uow.commit()
    return items


def test_two_schedulers_at_the_same_instant_claim_and_enqueue_each_item_once(
    pipeline: Pipeline,
) -> None:
    container = pipeline.container()
    # Small batches and a fast beat: the two processes interleave claim after claim. No
    # worker runs, so the start lease is long enough that nothing is claimed twice here.
    beat = {
        "MANYFUTURES_TICK_SECONDS": "0.02",
        "MANYFUTURES_SCHEDULER_BATCH_SIZE": "7",
        "MANYFUTURES_START_LEASE_SECONDS": "60",
    }
    first, second = pipeline.start("scheduler", **beat), pipeline.start("scheduler", **beat)
    for log in sorted(pipeline.logs.glob("*scheduler.log")):
        eventually(lambda log=log: "a beat every" in log.read_text(), 20, pipeline.logs_text)
    # Written once both beat, so a slow start-up on a busy machine does not eat the margin.
    instant = datetime.now(UTC) + timedelta(seconds=6)
    items = due_at(container, instant)
    assert datetime.now(UTC) < instant, "both schedulers must be beating before the slots are due"

    queue = Queue("generation", connection=pipeline.redis())
    eventually(lambda: queue.count >= len(items), 30, pipeline.logs_text)
    time.sleep(0.5)  # more beats, which must find nothing left to do
    for process in (first, second):
        pipeline.stop(process)

    expected_jobs = {f"generation-{item_id}-1" for item_id in items.values()}
    assert Counter(queue.job_ids) == Counter(expected_jobs)  # each exactly once
    per_process = [
        sum(int(n) for n in DISPATCHED.findall(log.read_text()))
        for log in sorted(pipeline.logs.glob("*scheduler.log"))
    ]
    assert sum(per_process) == len(items)
    # Both were beating at the instant (checked above); which one wins each claim is the
    # machine's scheduling: on a loaded machine one may take all 300 in a single beat, so
    # the split is not asserted, only that the two together claimed each item once.
    for org in ORGANIZATIONS:
        with container.adapters.uow_factory()(org) as uow:
            for n in range(PER_ORGANIZATION):
                project_id = f"proj_{org}_{n:03d}"
                live = [
                    (item.scheduled_for, item.status, item.attempt_count)
                    for item in uow.queue.list_for_project(project_id)
                ]
                project = uow.projects.get(project_id)
                assert project is not None and project.next_scheduled_at is not None
                # The due slot claimed once, and exactly one next slot, however many ticks ran.
                assert live == [
                    (instant, QueueStatus.PROCESSING, 1),
                    (project.next_scheduled_at, QueueStatus.PENDING, 0),
                ]


def test_redis_refuses_a_second_job_for_the_same_attempt(pipeline: Pipeline) -> None:
    container = pipeline.container()
    connection = pipeline.redis()
    empty(connection)
    dispatcher: RqDispatcher = container.scheduling.dispatcher()
    item = b.queue_item("queue_1", status=QueueStatus.PROCESSING, attempt_count=1)
    dispatcher.dispatch_generation(item)
    dispatcher.dispatch_generation(item)  # a repeat: refused by Redis, logged, harmless
    item.attempt_count = 2
    dispatcher.dispatch_generation(item)  # the next attempt is a job of its own
    queue = Queue("generation", connection=connection)
    assert queue.job_ids == ["generation-queue_1-1", "generation-queue_1-2"]
    assert dispatcher.waiting() == 2  # what the scheduler's next beat counts against its room
    (first, _) = queue.jobs
    assert first.args == ("org_a", "queue_1", 1)
    assert first.retries_left is None  # RQ never retries: the Postgres queue does
