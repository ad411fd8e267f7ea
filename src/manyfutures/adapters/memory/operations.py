"""The operations view over the in-memory store: one organization's through its unit of
work (its staged writes included, other organizations' rows invisible), or every
organization's through the operators' gateway (the stand-in for ADR 0007's functions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from manyfutures.adapters.memory.episodes import EPISODES
from manyfutures.adapters.memory.generation import GENERATION_RUNS
from manyfutures.adapters.memory.outbox import OUTBOX
from manyfutures.adapters.memory.projects import PROJECTS
from manyfutures.adapters.memory.scheduling import QUEUE
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.episodes.episode import Episode, EpisodeStatus
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.operations.model import (
    FailedEpisode,
    OperationsSnapshot,
    OutboxHealth,
    QueueCount,
    RunInFlight,
)
from manyfutures.core.outbox.model import OutboxMessage, OutboxStatus
from manyfutures.core.scheduling.queue import LIVE_QUEUE_STATUSES, ScheduleQueueItem

Rows = Callable[[MemoryTable], Iterable[Any]]


def snapshot(rows: Rows, finished_since: datetime, limit: int) -> OperationsSnapshot:
    """The one reading both paths share; ``rows`` says which rows a table shows."""
    queue: Counter[tuple[str, Any]] = Counter(
        (item.organization_id, item.status)
        for item in rows(QUEUE)
        if _counted(item, finished_since)
    )
    # A deleted project takes its episodes with it, as on the reader's pages.
    titles = {p.id: p.title for p in rows(PROJECTS) if not p.is_deleted}
    latest: dict[str, GenerationRun] = {}
    for run in sorted(rows(GENERATION_RUNS), key=lambda r: (r.started_at, r.id)):
        latest[run.episode_id] = run
    episodes: list[Episode] = [e for e in rows(EPISODES) if e.project_id in titles]
    in_flight = sorted(
        (
            RunInFlight(
                e.organization_id,
                e.id,
                e.project_id,
                titles[e.project_id],
                e.progress_stage,
                e.progress_percent,
                latest[e.id].attempt if e.id in latest else e.generation_attempts,
                latest[e.id].started_at if e.id in latest else e.updated_at,
            )
            for e in episodes
            if e.status is EpisodeStatus.GENERATING
        ),
        key=lambda run: (run.started_at, run.episode_id),
    )
    failed = sorted(
        (
            FailedEpisode(
                e.organization_id,
                e.id,
                e.project_id,
                titles[e.project_id],
                e.updated_at,
                e.generation_errors[-1] if e.generation_errors else None,
            )
            for e in episodes
            if e.status is EpisodeStatus.FAILED
        ),
        key=lambda episode: (episode.failed_at, episode.episode_id),
        reverse=True,
    )
    return OperationsSnapshot(
        queue=[QueueCount(org, status, n) for (org, status), n in sorted(queue.items())],
        runs=in_flight[:limit],
        failed=failed[:limit],
        outbox=_outbox(rows(OUTBOX)),
    )


def _counted(item: ScheduleQueueItem, finished_since: datetime) -> bool:
    return item.status in LIVE_QUEUE_STATUSES or item.scheduled_for >= finished_since


def _outbox(messages: Iterable[OutboxMessage]) -> list[OutboxHealth]:
    by_organization: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        if message.status is not OutboxStatus.SENT:
            by_organization.setdefault(message.organization_id, []).append(message)
    health = []
    for organization_id, waiting in sorted(by_organization.items()):
        pending = [m.created_at for m in waiting if m.status is OutboxStatus.PENDING]
        dead = [m.created_at for m in waiting if m.status is OutboxStatus.DEAD]
        health.append(
            OutboxHealth(
                organization_id,
                len(pending),
                min(pending, default=None),
                len(dead),
                min(dead, default=None),
            )
        )
    return health


class OperationsRepository:
    """``uow.operations``: reads only, through the unit of work's view of each table."""

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow

    def snapshot(self, finished_since: datetime, limit: int) -> OperationsSnapshot:
        return snapshot(lambda table: TableView(self._uow, table).rows(), finished_since, limit)


class InMemoryOperatorGateway:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def snapshot(self, finished_since: datetime, limit: int) -> OperationsSnapshot:
        with self._store.lock:
            tables = self._store.tables
            deleted = {o.id for o in tables["organizations"].values() if o.deleted_at}

            def rows(table: MemoryTable) -> list[Any]:
                return [
                    row for row in tables[table.name].values() if row.organization_id not in deleted
                ]

            return snapshot(rows, finished_since, limit)
