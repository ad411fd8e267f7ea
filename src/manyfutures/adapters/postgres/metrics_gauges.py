"""The metrics beat's counts through ``metrics_gauges(day)`` (migration 0018, ADR 0007):
one call in its own short transaction scoped to no organization, as the outbox's are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from manyfutures.adapters.metrics.gauges import LIVE_QUEUE_STATUSES, GaugeReading
from manyfutures.adapters.postgres.engine import NO_TENANT, live_connection
from manyfutures.core.costs.budget import utc_day

_GAUGES = text("SELECT gauge, label, value FROM metrics_gauges(:day)")


class PostgresGaugeReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, now: datetime) -> GaugeReading:
        connection = live_connection(self._engine, NO_TENANT)
        try:
            rows = connection.execute(_GAUGES, {"day": utc_day(now)}).all()
            connection.commit()
        finally:
            connection.close()
        counts = {(gauge, label): int(value) for gauge, label, value in rows}
        return GaugeReading(
            queue_items={s: counts.get(("queue_items", s), 0) for s in LIVE_QUEUE_STATUSES},
            outbox_backlog=counts.get(("outbox", "pending"), 0),
            outbox_dead=counts.get(("outbox", "dead"), 0),
            breakers_open=counts.get(("breakers_open", ""), 0),
        )
