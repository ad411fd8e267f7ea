"""Production's reply jobs: one RQ job per (reply, attempt) on the ``assistant`` queue.

Enqueued after the commit that stored the pending reply, so a worker always finds it.
The job id names the reply and the attempt and is enqueued with ``unique=True``, so a
repeated request never runs an attempt twice. A job lost before it ran (Redis restarted,
the job expired) leaves the reply pending; once its deadline has passed the reader may
retry it, and the lost attempt's reservation is released then.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from manyfutures.adapters.rq.queues import ASSISTANT

logger = logging.getLogger(__name__)
RESULT_TTL_SECONDS = 600
FAILURE_TTL_SECONDS = 7 * 24 * 3600


class RqReplyJobs:
    def __init__(self, connection: redis.Redis, job: str, deadline: timedelta) -> None:
        """``job`` is the worker's job function's dotted path. A job runs at most the
        reply's deadline, and one still waiting after it expires unrun (the reply can be
        retried by then)."""
        self._queue = Queue(ASSISTANT, connection=connection)
        self._job = job
        self._seconds = math.ceil(deadline.total_seconds())

    def request(self, organization_id: str, message_id: str, attempt: int) -> None:
        job_id = f"reply-{message_id}-{attempt}"
        try:
            self._queue.enqueue_call(
                self._job,
                args=(organization_id, message_id, attempt),
                job_id=job_id,
                unique=True,
                timeout=self._seconds,
                ttl=self._seconds,
                result_ttl=RESULT_TTL_SECONDS,
                failure_ttl=FAILURE_TTL_SECONDS,
                description=f"assistant reply {message_id}, attempt {attempt}",
            )
        except DuplicateJobError:
            logger.warning("job %s is already enqueued; Redis refused a second one", job_id)
