"""Production's delivery jobs: RQ jobs on the ``outbox`` queue, each delivering one batch.

Jobs waiting on the queue count towards what is asked for, so the scheduler's beat
adds jobs only while mail is due and no job is waiting for it. A job that is lost
(Redis restarted, a worker killed mid-batch) loses no mail: its messages stay pending
in PostgreSQL, leased or not, and the next beat queues a job for them again.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import redis
from rq import Queue

from manyfutures.adapters.rq.queues import OUTBOX

# A delivery job's outcome matters only while someone looks at rq-dashboard.
RESULT_TTL_SECONDS = 600
FAILURE_TTL_SECONDS = 7 * 24 * 3600


class RqDeliveryJobs:
    def __init__(self, connection: redis.Redis, job: str, lease: timedelta) -> None:
        """``job`` is the worker's job function's dotted path. A job may run as long as a
        claimed batch's lease, and one waiting longer than that is stale (later beats
        have queued others), so it expires unrun."""
        self._queue = Queue(OUTBOX, connection=connection)
        self._job = job
        self._seconds = math.ceil(lease.total_seconds())

    def request(self, jobs: int) -> int:
        missing = max(0, jobs - self._queue.count)
        for _ in range(missing):
            self._queue.enqueue_call(
                self._job,
                job_id=f"outbox-{uuid.uuid4().hex}",
                timeout=self._seconds,
                ttl=self._seconds,
                result_ttl=RESULT_TTL_SECONDS,
                failure_ttl=FAILURE_TTL_SECONDS,
                description="deliver a batch of outbox messages",
            )
        return missing
