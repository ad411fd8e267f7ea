"""A local stand-in for the n8n workflow: research → writing → review → result.

It reports through the very use cases an n8n callback will call, so memory mode
exercises the production path end to end, just without the network. Memory mode walks
each run on a thread; with RQ the walk is a job of its own (adapters/rq/simulation.py).
"""

from __future__ import annotations

import logging
import threading
import time
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

logger = logging.getLogger(__name__)
_STAGES = (
    (GenerationStage.RESEARCH, 30),
    (GenerationStage.WRITING, 60),
    (GenerationStage.REVIEW, 90),
)


class SimulatedRun:
    """One simulated generation walked through to its result, in the calling thread.

    Each report is its own use case call, as each n8n callback is its own request.
    """

    def __init__(
        self, progress: ReportProgress, results: ApplyGenerationResult, stage_seconds: float
    ) -> None:
        self._progress = progress
        self._results = results
        self._stage_seconds = stage_seconds

    def __call__(self, request: GenerationRequest) -> None:
        for stage, percent in _STAGES:
            time.sleep(self._stage_seconds)
            self._progress(ProgressReport(request.organization_id, request.run_id, stage, percent))
        self._results(_episode_for(request))


class SimulatedGenerator:
    """Memory mode's generator: each run walked on a thread of this process."""

    def __init__(self, simulate: SimulatedRun) -> None:
        self._simulate = simulate
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, request: GenerationRequest) -> None:
        thread = threading.Thread(
            target=self._walk, args=(request,), name=f"simulated-{request.run_id}", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait for in-flight simulations (tests and shutdown)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def _walk(self, request: GenerationRequest) -> None:
        try:
            self._simulate(request)
        except Exception:
            logger.exception("simulated generation of run %s crashed", request.run_id)


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
