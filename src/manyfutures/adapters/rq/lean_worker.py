"""RQ's ``SimpleWorker`` with its own bookkeeping in fewer Redis round trips (ADR 0012).

Between two jobs a ``SimpleWorker`` heartbeats three times within a millisecond (after
the job, in the suspension check, before and after the dequeue), each heartbeat three
commands sent one by one, and writes its state ``idle`` twice. On the pipeline bench
that was about 20 round trips a job, half of them these, and each costs the worker a
send, a wake-up and a parse. This class sends the same keys and values, fewer times:

- a heartbeat outside a pipeline goes as one pipeline (``HSET`` + two ``EXPIRE``s in
  one round trip, not three);
- a heartbeat is skipped if this worker sent one with the same expiry less than
  ``HEARTBEAT_REPEAT_SECONDS`` ago: the worker's key then expires at most that much
  earlier than RQ would have it, out of a TTL of minutes;
- a state the worker has already written is not written again (the worker is the only
  writer of its own ``state`` field).

Everything else is RQ's: registration, job and execution records, registries, the
result kept for ``rq info`` and rq-dashboard, and the SIGALRM death penalty that stops
a job at its timeout.
"""

from __future__ import annotations

import time

from redis.client import Pipeline
from rq import SimpleWorker

HEARTBEAT_REPEAT_SECONDS = 1.0


class LeanSimpleWorker(SimpleWorker):
    _heartbeat_sent: tuple[float, int] | None = None

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        expiry = timeout or self.worker_ttl + 60
        if pipeline is not None:
            super().heartbeat(expiry, pipeline)  # sent with the caller's pipeline
        else:
            last = self._heartbeat_sent
            if (
                last is not None
                and last[1] == expiry
                and time.monotonic() - last[0] < HEARTBEAT_REPEAT_SECONDS
            ):
                return
            with self.connection.pipeline(transaction=False) as batch:
                super().heartbeat(expiry, batch)
                batch.execute()
        self._heartbeat_sent = (time.monotonic(), expiry)

    def set_state(self, state: str, pipeline: Pipeline | None = None) -> None:
        if pipeline is None and state == self.get_state():
            return
        super().set_state(state, pipeline)
