"""Run a tick (the scheduler's, the outbox dispatcher's) on a fixed beat until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(self, name: str, tick: Callable[[], object], interval_seconds: float) -> None:
        self._name = name
        self._tick = tick
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._tick()
                logger.debug("%s: %s", self._name, report)
            except Exception:
                # One bad tick must not stop the loop; the next beat retries.
                logger.exception("%s tick failed", self._name)
            self._stop.wait(self._interval)
