"""An organization's operations view in PostgreSQL: four reads in its unit of work.

Row-level security and the ``:org`` filter both hold; the reads are plain SELECTs, so a
unit of work that only ran them ends with COMMIT and keeps its prepared statements.
The operators' view across organizations is ``operator_gateway`` (ADR 0007's functions).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, bindparam, func, or_, select, true

from manyfutures.adapters.postgres.base import table_of
from manyfutures.adapters.postgres.episodes import EpisodeRow
from manyfutures.adapters.postgres.generation import GenerationRunRow
from manyfutures.adapters.postgres.outbox import OutboxMessageRow
from manyfutures.adapters.postgres.projects import ProjectRow
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.adapters.postgres.scheduling import QueueItemRow
from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage
from manyfutures.core.operations import ports
from manyfutures.core.operations.model import (
    FailedEpisode,
    OperationsSnapshot,
    OutboxHealth,
    QueueCount,
    RunInFlight,
)
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.scheduling.queue import LIVE_QUEUE_STATUSES, QueueStatus

_queue = table_of(QueueItemRow)
_episodes = table_of(EpisodeRow)
_projects = table_of(ProjectRow)
_runs = table_of(GenerationRunRow)
_outbox = table_of(OutboxMessageRow)

_QUEUE_COUNTS: Select[tuple[str, int]] = (
    select(_queue.c.status, func.count())
    .where(
        _queue.c.organization_id == ORG,
        or_(
            _queue.c.status.in_([s.value for s in LIVE_QUEUE_STATUSES]),
            _queue.c.scheduled_for >= bindparam("since"),
        ),
    )
    .group_by(_queue.c.status)
)
_latest_run = (
    select(_runs.c.attempt, _runs.c.started_at)
    .where(_runs.c.organization_id == ORG, _runs.c.episode_id == _episodes.c.id)
    .order_by(_runs.c.started_at.desc(), _runs.c.id.desc())
    .limit(1)
    .lateral("latest_run")
)
_IN_FLIGHT = (
    select(
        _episodes.c.id,
        _episodes.c.project_id,
        _projects.c.title,
        _episodes.c.progress_stage,
        _episodes.c.progress_percent,
        func.coalesce(_latest_run.c.attempt, _episodes.c.generation_attempts).label("attempt"),
        func.coalesce(_latest_run.c.started_at, _episodes.c.updated_at).label("started_at"),
    )
    .join(_projects, _projects.c.id == _episodes.c.project_id)
    .outerjoin(_latest_run, true())
    .where(
        _episodes.c.organization_id == ORG,
        _episodes.c.status == EpisodeStatus.GENERATING.value,
        _projects.c.deleted_at.is_(None),  # a deleted project takes its episodes with it
    )
    .order_by("started_at", _episodes.c.id)
    .limit(bindparam("limit"))
)
_FAILED = (
    select(
        _episodes.c.id,
        _episodes.c.project_id,
        _projects.c.title,
        _episodes.c.updated_at,
        _episodes.c.generation_errors,
    )
    .join(_projects, _projects.c.id == _episodes.c.project_id)
    .where(
        _episodes.c.organization_id == ORG,
        _episodes.c.status == EpisodeStatus.FAILED.value,
        _projects.c.deleted_at.is_(None),  # a deleted project takes its episodes with it
    )
    .order_by(_episodes.c.updated_at.desc(), _episodes.c.id.desc())
    .limit(bindparam("limit"))
)
_OUTBOX = (
    select(_outbox.c.status, func.count(), func.min(_outbox.c.created_at))
    .where(
        _outbox.c.organization_id == ORG,
        _outbox.c.status.in_([OutboxStatus.PENDING.value, OutboxStatus.DEAD.value]),
    )
    .group_by(_outbox.c.status)
)


class OperationsRepository(Repository, ports.OperationsReader):
    def snapshot(self, finished_since: datetime, limit: int) -> OperationsSnapshot:
        org = self._org
        queue = [
            QueueCount(org, QueueStatus(status), int(count))
            for status, count in self._uow.rows(_QUEUE_COUNTS, since=finished_since)
        ]
        runs = [
            RunInFlight(
                org,
                row.id,
                row.project_id,
                row.title,
                GenerationStage(row.progress_stage) if row.progress_stage else None,
                row.progress_percent,
                row.attempt,
                row.started_at,
            )
            for row in self._uow.rows(_IN_FLIGHT, limit=limit)
        ]
        failed = [
            FailedEpisode(
                org,
                row.id,
                row.project_id,
                row.title,
                row.updated_at,
                row.generation_errors[-1] if row.generation_errors else None,
            )
            for row in self._uow.rows(_FAILED, limit=limit)
        ]
        outbox = {status: (int(count), oldest) for status, count, oldest in self._uow.rows(_OUTBOX)}
        return OperationsSnapshot(
            queue=sorted(queue, key=lambda count: count.status),
            runs=runs,
            failed=failed,
            outbox=[outbox_health(org, outbox)] if outbox else [],
        )


def outbox_health(
    organization_id: str, by_status: dict[str, tuple[int, datetime | None]]
) -> OutboxHealth:
    backlog, oldest_backlog = by_status.get(OutboxStatus.PENDING.value, (0, None))
    dead, oldest_dead = by_status.get(OutboxStatus.DEAD.value, (0, None))
    return OutboxHealth(organization_id, backlog, oldest_backlog, dead, oldest_dead)
