"""The generator's callbacks: progress, the written episode, or a failure, for one run.

A callback names a run and carries that run's token; it does not name an
organization. So it is authenticated before anything tenant-scoped is opened: the
run is located across organizations (``RunLocator``, the one cross-tenant read on
this path) and the token compared with the run's hash in constant time. An unknown
run and a wrong token are the same refusal, and nothing is read or written for
either. Then the report goes to the use case that applies it in the run's own
organization, exactly as the in-process simulator's reports do.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.episodes.episode import GenerationStage, Source
from manyfutures.core.generation.callback_token import callback_token_matches
from manyfutures.core.generation.ports import RunLocator
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GenerationFailed,
    GenerationSucceeded,
    ModelUsage,
    ProgressOutcome,
    ProgressReport,
    ReportProgress,
    ResultOutcome,
)
from manyfutures.core.identity.ports import AuthenticationError


class CallbackRefusedError(AuthenticationError):
    """Unknown run or wrong token: the same answer for both, so neither can be probed."""

    def __init__(self) -> None:
        super().__init__("unknown run or wrong callback token")


@dataclass(frozen=True, slots=True)
class ProgressMade:
    stage: GenerationStage
    percent: int


@dataclass(frozen=True, slots=True)
class EpisodeWritten:
    title: str
    summary: str
    content: str
    sources: tuple[Source, ...] = ()
    reasoning: str | None = None
    confidence: float | None = None
    usage: tuple[ModelUsage, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationGaveUp:
    error: str
    retryable: bool
    usage: tuple[ModelUsage, ...] | None = None


@dataclass(frozen=True, slots=True)
class GenerationCallback:
    run_id: str
    token: str
    report: ProgressMade | EpisodeWritten | GenerationGaveUp


@dataclass(frozen=True, slots=True)
class CallbackReceipt:
    """What became of a callback: ``applied`` is False for anything that changed
    nothing but the usage ledger (duplicates, superseded runs, final episodes, stale
    progress), so the caller can tell a no-op from a failure."""

    outcome: ResultOutcome | ProgressOutcome

    @property
    def applied(self) -> bool:
        if isinstance(self.outcome, ProgressOutcome):
            return self.outcome is ProgressOutcome.APPLIED
        return self.outcome.applied


class ReceiveGenerationCallback:
    """Authenticate a callback by its run's token, then apply it in the run's organization."""

    def __init__(
        self, runs: RunLocator, progress: ReportProgress, results: ApplyGenerationResult
    ) -> None:
        self._runs = runs
        self._progress = progress
        self._results = results

    def __call__(self, callback: GenerationCallback) -> CallbackReceipt:
        credentials = self._runs.locate(callback.run_id)
        hashed = credentials.callback_token_hash if credentials is not None else None
        # Compared even for an unknown run, so both refusals take the same work.
        matches = callback_token_matches(callback.token, hashed)
        if credentials is None or not matches:
            raise CallbackRefusedError()
        org, run_id, report = credentials.organization_id, callback.run_id, callback.report
        if isinstance(report, ProgressMade):
            return CallbackReceipt(
                self._progress(ProgressReport(org, run_id, report.stage, report.percent))
            )
        if isinstance(report, EpisodeWritten):
            result: GenerationSucceeded | GenerationFailed = GenerationSucceeded(
                org,
                run_id,
                report.title,
                report.summary,
                report.content,
                report.sources,
                report.reasoning,
                report.confidence,
                report.usage,
            )
        else:
            result = GenerationFailed(org, run_id, report.error, report.retryable, report.usage)
        return CallbackReceipt(self._results(result))
