"""The metrics beat's counts over the in-memory store (``manyfutures run``, tests)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.metrics.gauges import LIVE_QUEUE_STATUSES, GaugeReading
from manyfutures.core.costs.breaker import BreakerState
from manyfutures.core.costs.budget import utc_day
from manyfutures.core.outbox.model import OutboxStatus


class InMemoryGaugeReader:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def read(self, now: datetime) -> GaugeReading:
        with self._store.lock:
            tables = self._store.tables
            queue = Counter(str(item.status) for item in tables["episode_schedule_queue"].values())
            outbox = Counter(message.status for message in tables["outbox_messages"].values())
            organizations = tables["organizations"]
            day = utc_day(now)
            open_breakers = 0
            for stored in tables["budget_days"].values():
                budget = stored.budget
                organization = organizations.get(budget.organization_id)
                if budget.day != day or organization is None or organization.deleted_at:
                    continue
                if budget.state(organization.daily_cost_limit_gbp) is BreakerState.OPEN:
                    open_breakers += 1
        return GaugeReading(
            queue_items={status: queue[status] for status in LIVE_QUEUE_STATUSES},
            outbox_backlog=outbox[OutboxStatus.PENDING],
            outbox_dead=outbox[OutboxStatus.DEAD],
            breakers_open=open_breakers,
        )
