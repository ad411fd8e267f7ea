"""Run a tick (the scheduler's, the outbox dispatcher's) on a fixed beat until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class Beat(Protocol):
    """What a tick reports; a beat that did something is logged at INFO."""

    @property
    def did_anything(self) -> bool: ...


class BackgroundLoop:
    """``run`` beats in the calling thread (``manyfutures scheduler``); ``start`` beats on a
    thread of its own (``manyfutures run``)."""

    def __init__(self, name: str, tick: Callable[[], Beat], interval_seconds: float) -> None:
        self._name = name
        self._tick = tick
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Safe from a signal handler: the current beat finishes, no other starts."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.request_stop()
        self._thread.join(timeout)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._tick()
                level = logging.INFO if report.did_anything else logging.DEBUG
                logger.log(level, "%s tick: %s", self._name, report)
            except Exception:
                # One bad tick must not stop the loop; the next beat retries.
                logger.exception("%s tick failed", self._name)
            self._stop.wait(self._interval)
