"""The operators' operations view across organizations: only through migration 0020's
``console_*`` functions (ADR 0007), in one short read-only transaction scoped to no
organization, as the metrics gauges' (so, apart from the functions' results, it sees
nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import NO_TENANT, live_connection
from manyfutures.adapters.postgres.operations_view import outbox_health
from manyfutures.core.episodes.episode import GenerationStage
from manyfutures.core.operations.model import (
    FailedEpisode,
    OperationsSnapshot,
    QueueCount,
    RunInFlight,
)
from manyfutures.core.scheduling.queue import QueueStatus

_QUEUE = text(
    "SELECT organization_id, status, items FROM console_queue_counts(:since)"
    " ORDER BY organization_id, status"
)
_RUNS = text(
    "SELECT organization_id, episode_id, project_id, project_title, stage, percent, attempt,"
    " started_at FROM console_runs_in_flight(:limit)"
)
_FAILED = text(
    "SELECT organization_id, episode_id, project_id, project_title, failed_at, last_error"
    " FROM console_failed_episodes(:limit)"
)
_OUTBOX = text(
    "SELECT organization_id, status, messages, oldest FROM console_outbox_health()"
    " ORDER BY organization_id"
)


class PostgresOperatorGateway:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def snapshot(self, finished_since: datetime, limit: int) -> OperationsSnapshot:
        connection = live_connection(self._engine, NO_TENANT)
        try:
            queue = connection.execute(_QUEUE, {"since": finished_since}).all()
            runs = connection.execute(_RUNS, {"limit": limit}).all()
            failed = connection.execute(_FAILED, {"limit": limit}).all()
            outbox = connection.execute(_OUTBOX).all()
            connection.commit()
        finally:
            connection.close()
        by_organization: dict[str, dict[str, tuple[int, datetime | None]]] = {}
        for organization_id, status, messages, oldest in outbox:
            by_organization.setdefault(organization_id, {})[status] = (int(messages), oldest)
        return OperationsSnapshot(
            queue=[QueueCount(org, QueueStatus(status), int(n)) for org, status, n in queue],
            runs=[
                RunInFlight(
                    row.organization_id,
                    row.episode_id,
                    row.project_id,
                    row.project_title,
                    GenerationStage(row.stage) if row.stage else None,
                    row.percent,
                    row.attempt,
                    row.started_at,
                )
                for row in runs
            ],
            failed=[FailedEpisode(*row) for row in failed],
            outbox=[outbox_health(org, statuses) for org, statuses in by_organization.items()],
        )
