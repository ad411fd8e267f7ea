"""The simulated generator when jobs go through RQ: each run walked by a job of its own.

Memory mode walks a run on the simulation beat of its own process
(adapters/memory/simulated_generator.py). A worker has no such beat, and may be a forked
work horse that exits when its job returns, so here the walk is a job on the
``simulation`` queue, sleeping between reports: like n8n, it runs apart from the job
that started it and reports through the same use cases, one transaction per report.
"""

from __future__ import annotations

import math
from datetime import timedelta

import redis
from rq import Queue

from manyfutures.adapters.rq.queues import SIMULATION
from manyfutures.core.generation.ports import GenerationRequest, GeneratorUnavailableError


class QueuedSimulation:
    def __init__(self, connection: redis.Redis, job: str, deadline: timedelta) -> None:
        self._queue = Queue(SIMULATION, connection=connection)
        self._job = job
        self._seconds = math.ceil(deadline.total_seconds())

    def start(self, request: GenerationRequest) -> None:
        try:
            self._queue.enqueue_call(
                self._job,
                args=(request,),
                job_id=f"simulation-{request.run_id}",
                unique=True,
                timeout=self._seconds,
                description=f"simulated generation of {request.run_id}",
            )
        except redis.RedisError as error:
            raise GeneratorUnavailableError(f"simulation queue unreachable: {error}") from error
