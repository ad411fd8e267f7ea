"""LeanSimpleWorker: RQ's bookkeeping in fewer round trips, the same records in Redis."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import redis
from redis.client import Pipeline
from rq import Queue, SimpleWorker
from rq.job import JobStatus
from rq.worker import BaseWorker, WorkerStatus

from manyfutures.adapters.rq import lean_worker
from manyfutures.adapters.rq.lean_worker import LeanSimpleWorker

pytestmark = pytest.mark.integration


class CountingRedis(redis.Redis):
    """Counts round trips: each command sent alone, and each pipeline sent."""

    round_trips = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.round_trips += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        batch = super().pipeline(transaction, shard_hint)
        send = batch.execute

        def execute(raise_on_error: bool = True) -> list[Any]:
            self.round_trips += 1
            return send(raise_on_error)

        batch.execute = execute  # type: ignore[method-assign]
        return batch


@pytest.fixture
def connection(rq_redis_url: str) -> CountingRedis:
    return CountingRedis.from_url(rq_redis_url)


def _worker(cls: type[BaseWorker], connection: redis.Redis, *, born: bool = True) -> BaseWorker:
    """On a queue of its own; ``born``: registered, as ``work()`` does first."""
    worker = cls([Queue(f"lean-{uuid.uuid4().hex}", connection=connection)], connection=connection)
    if born:
        worker.register_birth()
    return worker


def test_a_heartbeat_is_one_round_trip_and_a_repeat_within_a_second_is_skipped(
    connection: CountingRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = _worker(LeanSimpleWorker, connection)

    def sent(*args: int) -> int:
        connection.round_trips = 0
        worker.heartbeat(*args)
        return connection.round_trips

    assert sent() == 1  # HSET and two EXPIREs, one pipeline
    assert 400 < connection.ttl(worker.key) <= worker.worker_ttl + 60
    assert sent() == 0  # the same expiry, just sent
    assert sent(120) == 1  # another expiry is always sent
    assert connection.ttl(worker.key) <= 120
    monkeypatch.setattr(lean_worker, "HEARTBEAT_REPEAT_SECONDS", 0.0)
    assert sent(120) == 1  # once the repeat window is over, sent again


def test_a_state_already_written_is_not_written_again(connection: CountingRedis) -> None:
    worker = _worker(LeanSimpleWorker, connection)
    worker.set_state(WorkerStatus.IDLE)
    connection.round_trips = 0
    worker.set_state(WorkerStatus.IDLE)
    assert connection.round_trips == 0
    worker.set_state(WorkerStatus.SUSPENDED)
    assert connection.round_trips == 1
    assert connection.hget(worker.key, "state") == b"suspended"


def test_jobs_leave_the_same_records_in_fewer_round_trips(connection: CountingRedis) -> None:
    """Per job, RQ's SimpleWorker and this class side by side on the same jobs."""
    jobs = 20
    trips = {}
    for cls in (SimpleWorker, LeanSimpleWorker):
        worker = _worker(cls, connection, born=False)
        (queue,) = worker.queues
        enqueued = [queue.enqueue(os.getpid, result_ttl=600) for _ in range(jobs)]
        connection.round_trips = 0
        assert worker.work(burst=True)
        trips[cls] = connection.round_trips / jobs
        for job in enqueued:
            assert job.get_status(refresh=True) is JobStatus.FINISHED
            assert job.return_value() == os.getpid()
            result = job.latest_result()
            assert result is not None and result.worker_name == worker.name
        assert connection.hget(worker.key, "successful_job_count") == str(jobs).encode()
    # SimpleWorker: about 20 a job; this class about 12.
    assert trips[LeanSimpleWorker] <= trips[SimpleWorker] - 6, trips
