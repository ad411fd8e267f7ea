"""Run the scheduler tick on a fixed beat until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class SchedulerLoop:
    def __init__(self, tick: Callable[[], object], interval_seconds: float) -> None:
        self._tick = tick
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._tick()
                logger.debug("tick: %s", report)
            except Exception:
                # One bad tick must not stop scheduling; the next beat retries.
                logger.exception("scheduler tick failed")
            self._stop.wait(self._interval)
