"""Production's job dispatcher: one RQ job per claimed (queue item, attempt).

The Postgres queue owns retries and recovery, so the job carries no RQ ``Retry`` and
nothing relies on RQ noticing a dead worker: a lost or killed job's item comes back
when its start lease or generation deadline runs out (core/scheduling/leases.py).

The job id names the item and the attempt and is enqueued with ``unique=True``: RQ
saves a job only if no job of that id exists (one Lua script), so a second enqueue of
the same attempt is refused by Redis, whatever the scheduler processes do. The claim
already hands each attempt to one scheduler; this makes a repeat harmless too.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from manyfutures.adapters.rq.queues import GENERATION
from manyfutures.core.scheduling.queue import ScheduleQueueItem

logger = logging.getLogger(__name__)
# Failed jobs stay visible in rq-dashboard this long; they are never retried by RQ.
FAILURE_TTL_SECONDS = 7 * 24 * 3600


def generation_job_id(item: ScheduleQueueItem) -> str:
    return f"generation-{item.id}-{item.attempt_count}"


class RqDispatcher:
    def __init__(self, connection: redis.Redis, job: str, start_lease: timedelta) -> None:
        """``job`` is the dotted path of the worker's job function (the worker imports it;
        this side never does). A job older than the start lease is one the scheduler has
        given up on, so it expires unrun, and a job runs at most that long."""
        self._queue = Queue(GENERATION, connection=connection)
        self._job = job
        self._seconds = math.ceil(start_lease.total_seconds())

    def dispatch_generation(self, item: ScheduleQueueItem) -> None:
        job_id = generation_job_id(item)
        try:
            self._queue.enqueue_call(
                self._job,
                args=(item.organization_id, item.id, item.attempt_count),
                job_id=job_id,
                unique=True,
                timeout=self._seconds,
                ttl=self._seconds,
                failure_ttl=FAILURE_TTL_SECONDS,
                description=f"start generation of {item.id}, attempt {item.attempt_count}",
            )
        except DuplicateJobError:
            logger.warning("job %s is already enqueued; Redis refused a second one", job_id)

    def waiting(self) -> int:
        return int(self._queue.count)

    def shutdown(self) -> None:
        """Nothing runs here: the jobs live in Redis until a worker takes them."""
