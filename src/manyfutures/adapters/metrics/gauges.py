"""The gauges that count across organizations, read on the scheduler's metrics beat.

Reading them at scrape time would put a database query on the API's path and need a
cross-tenant grant there; the scheduler already crosses organizations through named
functions (ADR 0007), so it reads them every MANYFUTURES_METRICS_GAUGE_SECONDS and
writes them as ``mostrecent`` gauges, which a scrape of any API process reads from
the shared directory (ADR 0021).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from manyfutures.adapters.metrics.prometheus import current_metrics
from manyfutures.core.scheduling.queue import LIVE_QUEUE_STATUSES as LIVE_QUEUE
from manyfutures.core.shared.ports import Clock

# The live statuses counted; terminal ones grow with history and are counted as they happen.
LIVE_QUEUE_STATUSES = tuple(status.value for status in LIVE_QUEUE)


@dataclass(frozen=True, slots=True)
class GaugeReading:
    queue_items: Mapping[str, int] = field(default_factory=dict)
    outbox_backlog: int = 0
    outbox_dead: int = 0
    breakers_open: int = 0

    @property
    def did_anything(self) -> bool:
        """Never worth an INFO line: the beat logs at DEBUG."""
        return False


class GaugeReader(Protocol):
    def read(self, now: datetime) -> GaugeReading:
        """The counts at ``now`` (breakers: open on ``now``'s UTC day)."""
        ...


class RecordGauges:
    """One metrics beat: read the counts and set the gauges (a no-op where metrics are off)."""

    def __init__(self, clock: Clock, reader: GaugeReader) -> None:
        self._clock = clock
        self._reader = reader

    def __call__(self) -> GaugeReading:
        metrics = current_metrics()
        if metrics is None:
            return GaugeReading()
        reading = self._reader.read(self._clock.now())
        for status in LIVE_QUEUE_STATUSES:
            metrics.queue_items.labels(status).set(reading.queue_items.get(status, 0))
        metrics.outbox_backlog.set(reading.outbox_backlog)
        metrics.outbox_dead.set(reading.outbox_dead)
        metrics.breakers_open.set(reading.breakers_open)
        metrics.gauges_read_at.set(time.time())
        return reading
