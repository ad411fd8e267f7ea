"""Memory mode's job dispatcher: a small thread pool instead of RQ workers."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from manyfutures.core.generation.use_cases import StartGeneration, StartGenerationCommand
from manyfutures.core.scheduling.queue import ScheduleQueueItem

logger = logging.getLogger(__name__)


class ThreadPoolDispatcher:
    def __init__(self, start_generation: StartGeneration, workers: int = 2) -> None:
        self._start_generation = start_generation
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")
        self._lock = threading.Lock()
        self._waiting = 0

    def dispatch_generation(self, item: ScheduleQueueItem) -> None:
        command = StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
        with self._lock:
            self._waiting += 1
        future = self._pool.submit(self._start, command)
        future.add_done_callback(_log_failure)

    def waiting(self) -> int:
        with self._lock:
            return self._waiting

    def _start(self, command: StartGenerationCommand) -> None:
        with self._lock:
            self._waiting -= 1
        self._start_generation(command)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        # The item stays processing; its lease expires and the tick reclaims it.
        logger.error("generation job failed", exc_info=error)
