"""A local stand-in for the n8n workflow: research → writing → review → result.

It reports through the very use cases an n8n callback calls (progress, then the result),
one use case call per report as each callback is its own request, so memory mode
exercises the production path end to end, just without the network.

Memory mode paces each run on the injected clock: a report is due every
``stage_seconds`` after the run started, and the simulation beat (a background loop of
``manyfutures run``) applies whatever is due, so a reader watching the console sees
each stage go by, and a test moves the clock instead of sleeping. With RQ the walk is a
job of its own in a worker process, paced by sleeping (adapters/rq/simulation.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from manyfutures.core.episodes.episode import GenerationStage, Source
from manyfutures.core.generation.ports import GenerationRequest
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GenerationSucceeded,
    ModelUsage,
    ProgressReport,
    ReportProgress,
)
from manyfutures.core.shared.ports import Clock

logger = logging.getLogger(__name__)
_STAGES = (
    (GenerationStage.RESEARCH, 30),
    (GenerationStage.WRITING, 60),
    (GenerationStage.REVIEW, 90),
)
# Each stage's progress report, then the result: one report every stage_seconds.
_REPORTS = len(_STAGES) + 1


class SimulatedRun:
    """One simulated generation walked through to its result, in the calling thread,
    sleeping ``stage_seconds`` before each report (an RQ job's walk)."""

    def __init__(
        self, progress: ReportProgress, results: ApplyGenerationResult, stage_seconds: float
    ) -> None:
        self._reports = _Reports(progress, results)
        self._stage_seconds = stage_seconds

    def __call__(self, request: GenerationRequest) -> None:
        for report in range(_REPORTS):
            time.sleep(self._stage_seconds)
            self._reports.send(request, report)


@dataclass(frozen=True, slots=True)
class SimulationBeat:
    """What one beat of the simulation did (the background loop logs it)."""

    reports: int

    @property
    def did_anything(self) -> bool:
        return self.reports > 0

    def __str__(self) -> str:
        return f"{self.reports} simulated reports sent"


@dataclass(slots=True)
class _Walk:
    request: GenerationRequest
    started_at: datetime
    sent: int = 0
    # One beat at a time per run, so its reports go out in order.
    lock: threading.Lock = field(default_factory=threading.Lock)


class SimulatedGenerator:
    """Memory mode's generator: each run's reports sent when the clock says they are due.

    ``start`` registers the run and sends what is already due (with a pace of 0, all of
    it: the run is published before ``start`` returns, as by a generator answering at
    once); ``advance``, the simulation beat, sends the rest as time passes.
    """

    def __init__(
        self,
        progress: ReportProgress,
        results: ApplyGenerationResult,
        clock: Clock,
        stage_seconds: float,
    ) -> None:
        self._reports = _Reports(progress, results)
        self._clock = clock
        self._stage = timedelta(seconds=stage_seconds)
        self._walks: dict[str, _Walk] = {}
        self._lock = threading.Lock()

    def start(self, request: GenerationRequest) -> None:
        walk = _Walk(request, self._clock.now())
        with self._lock:
            self._walks[request.run_id] = walk
        self._send_due(walk, walk.started_at)

    def advance(self) -> SimulationBeat:
        """Send every report whose time has come, each run's in order."""
        now = self._clock.now()
        with self._lock:
            walks = list(self._walks.values())
        return SimulationBeat(sum(self._send_due(walk, now) for walk in walks))

    def _send_due(self, walk: _Walk, now: datetime) -> int:
        sent = 0
        with walk.lock:
            while walk.sent < _REPORTS and now >= walk.started_at + self._stage * (walk.sent + 1):
                try:
                    self._reports.send(walk.request, walk.sent)
                except Exception:
                    # As if n8n died mid-run: the generation deadline fails the run.
                    logger.exception("simulated generation of run %s crashed", walk.request.run_id)
                    walk.sent = _REPORTS
                else:
                    walk.sent += 1
                    sent += 1
            if walk.sent == _REPORTS:
                with self._lock:
                    self._walks.pop(walk.request.run_id, None)
        return sent


class _Reports:
    """The walk's reports by number: each stage's progress, then the episode."""

    def __init__(self, progress: ReportProgress, results: ApplyGenerationResult) -> None:
        self._progress = progress
        self._results = results

    def send(self, request: GenerationRequest, report: int) -> None:
        if report < len(_STAGES):
            stage, percent = _STAGES[report]
            self._progress(ProgressReport(request.organization_id, request.run_id, stage, percent))
        else:
            self._results(_episode_for(request))


def _episode_for(request: GenerationRequest) -> GenerationSucceeded:
    notes = "".join(f"- You asked: {note.note}\n" for note in request.planning_notes)
    content = (
        f"# {request.title}: this week's signals\n\n"
        f"{request.brief}\n\n"
        "## What changed\n\n"
        "Three developments stand out, each with a plausible path to 2030.\n\n"
        + (f"## Your planning notes\n\n{notes}\n" if notes else "")
        + "## What to watch\n\nLeading indicators to track before the next episode.\n"
    )
    return GenerationSucceeded(
        organization_id=request.organization_id,
        run_id=request.run_id,
        title=f"{request.title}: signals and scenarios",
        summary=f"A simulated brief on {request.title}.",
        content=content,
        sources=(Source("Many Futures simulator", "https://example.org/simulated"),),
        reasoning="Generated locally by the in-memory simulator.",
        confidence=0.5,
        usage=(ModelUsage("simulated-model", 1200, 800, Decimal("0.03")),),
    )
