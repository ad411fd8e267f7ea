"""Hand-written fakes for the ports that memory mode does not already provide.

They record what happened so tests assert on state, never on mock call lists.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

from manyfutures.core.generation.ports import GenerationRequest, GeneratorUnavailableError
from manyfutures.core.outbox.ports import EmailMessage
from manyfutures.core.scheduling.queue import ScheduleQueueItem


class ManualClock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, instant: datetime) -> None:
        self.current = instant


class SequentialIds:
    """Readable, sortable ids: ``proj_000001``, ``ep_000002``…"""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._counter):06d}"


class RecordingGenerator:
    """Keeps every request it is handed; ``refuse_with`` makes it answer like an n8n that
    is down or too slow (which may still have received the request, as a timeout can)."""

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []
        self.refuse_with: str | None = None

    def start(self, request: GenerationRequest) -> None:
        self.requests.append(request)
        if self.refuse_with is not None:
            raise GeneratorUnavailableError(self.refuse_with)


class RecordingDispatcher:
    def __init__(self) -> None:
        self.dispatched: list[ScheduleQueueItem] = []

    def dispatch_generation(self, item: ScheduleQueueItem) -> None:
        self.dispatched.append(item)

    def waiting(self) -> int:
        """Dispatched and not yet run: a test plays the worker by taking ``dispatched``."""
        return len(self.dispatched)


class ScriptedEmailSender:
    """Answers each send with the next scripted outcome (None: delivered), then delivers.

    ``delivered`` keeps what it took; ``attempted`` every message it was handed. A
    ``clock`` and ``takes`` make each send last that long, as a slow server would.
    """

    def __init__(
        self,
        *outcomes: Exception | None,
        clock: ManualClock | None = None,
        takes: timedelta = timedelta(),
    ) -> None:
        self._outcomes = list(outcomes)
        self._clock = clock
        self._takes = takes
        self.attempted: list[EmailMessage] = []
        self.delivered: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.attempted.append(message)
        if self._clock is not None:
            self._clock.advance(self._takes)
        outcome = self._outcomes.pop(0) if self._outcomes else None
        if outcome is not None:
            raise outcome
        self.delivered.append(message)
