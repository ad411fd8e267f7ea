"""The scheduler's claims and the outbox's deliveries, counted around the core's use cases.

Durations are wall-clock measurements for operators, not the domain's time, so they are
taken here rather than through the core's injected clock; the counts come from what
each use case already reports.
"""

from __future__ import annotations

import time

from manyfutures.adapters.metrics.prometheus import current_metrics
from manyfutures.core.outbox.use_cases import DispatchOutbox, DispatchReport
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.scheduling.use_cases import ClaimDueItems, RunSchedulerTick, TickReport


class MeteredClaimDueItems(ClaimDueItems):
    def __call__(self, batch_size: int) -> list[ScheduleQueueItem]:
        started = time.perf_counter()
        claimed = super().__call__(batch_size)
        if (metrics := current_metrics()) is not None:
            metrics.claim_seconds.observe(time.perf_counter() - started)
        return claimed


class MeteredSchedulerTick(RunSchedulerTick):
    def __call__(self) -> TickReport:
        report = super().__call__()
        if (metrics := current_metrics()) is not None:
            metrics.claimed_per_tick.observe(report.items_dispatched)
        return report


class MeteredDispatchOutbox(DispatchOutbox):
    def __call__(self) -> DispatchReport:
        report = super().__call__()
        if (metrics := current_metrics()) is not None:
            for result, count in (
                ("sent", report.sent),
                ("retrying", report.retrying),
                ("dead", report.dead),
            ):
                if count:
                    metrics.deliveries.labels(result).inc(count)
        return report
