"""The generator's callbacks: progress, the written episode, or a failure, for one run.

A callback names a run and carries that run's token; it does not name an
organization. So it is authenticated before anything tenant-scoped is opened: the
run is located across organizations (``RunLocator``, the one cross-tenant read on
this path) and the token compared with the run's hash in constant time. An unknown
run and a wrong token are the same refusal, and nothing is read or written for
either. Then the report goes to the use case that applies it in the run's own
organization, exactly as the in-process simulator's reports do.

A usage line may come without its cost: it is priced here, from the model's tokens and
the price table (core/costs/prices.py), before the report becomes the domain's result,
so everything after it (the ledger, the day's spend) sees pounds only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from manyfutures.core.costs.prices import PriceTable
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

logger = logging.getLogger(__name__)


class CallbackRefusedError(AuthenticationError):
    """Unknown run or wrong token: the same answer for both, so neither can be probed."""

    def __init__(self) -> None:
        super().__init__("unknown run or wrong callback token")


@dataclass(frozen=True, slots=True)
class ReportedUsage:
    """One model call as the generator reports it; ``cost_gbp`` None: price it here."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_gbp: Decimal | None = None


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
    usage: tuple[ReportedUsage, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationGaveUp:
    error: str
    retryable: bool
    usage: tuple[ReportedUsage, ...] | None = None


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
    """Authenticate a callback by its run's token, price what it spent, then apply it in
    the run's organization."""

    def __init__(
        self,
        runs: RunLocator,
        progress: ReportProgress,
        results: ApplyGenerationResult,
        prices: PriceTable,
    ) -> None:
        self._runs = runs
        self._progress = progress
        self._results = results
        self._prices = prices

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
                self._priced(run_id, report.usage),
            )
        else:
            usage = None if report.usage is None else self._priced(run_id, report.usage)
            result = GenerationFailed(org, run_id, report.error, report.retryable, usage)
        return CallbackReceipt(self._results(result))

    def _priced(self, run_id: str, lines: Sequence[ReportedUsage]) -> tuple[ModelUsage, ...]:
        """Each line's own cost when it has one, else the price table's."""
        priced = []
        for line in lines:
            cost = line.cost_gbp
            if cost is None:
                price = self._prices.price(line.model, line.prompt_tokens, line.completion_tokens)
                if not price.known_model:
                    logger.warning(
                        "run %s: model %r has no price in MANYFUTURES_MODEL_PRICES_GBP; "
                        "priced at the most expensive known rates (%s)",
                        run_id,
                        line.model,
                        price.cost_gbp,
                    )
                cost = price.cost_gbp
            priced.append(ModelUsage(line.model, line.prompt_tokens, line.completion_tokens, cost))
        return tuple(priced)
