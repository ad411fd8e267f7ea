"""Generation in PostgreSQL: one generation run per attempt at an episode."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, and_, bindparam, case, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    split_row,
    table_of,
    tenant_fk,
)
from manyfutures.adapters.postgres.episodes import EpisodeRow, episode_from_row
from manyfutures.adapters.postgres.projects import ProjectRow, project_from_row
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.adapters.postgres.scheduling import QueueItemRow, queue_item_from_row
from manyfutures.core.episodes.episode import STAGE_ORDER, EpisodeStatus, GenerationStage
from manyfutures.core.generation import ports
from manyfutures.core.generation.ports import AttemptSlot
from manyfutures.core.generation.run import GenerationRun, RunStatus
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class GenerationRunRow(Base):
    __tablename__ = "generation_runs"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    episode_id: Mapped[Id]
    queue_item_id: Mapped[Id]
    attempt: Mapped[int]
    status: Mapped[str]
    planning_note_ids: Mapped[list[str]] = mapped_column(
        ARRAY(ID_TYPE), server_default=text("'{}'")
    )
    error: Mapped[str | None]
    started_at: Mapped[Timestamp]
    finished_at: Mapped[dt.datetime | None]
    # SHA-256 (hex) of the run's callback token; the token itself is never stored.
    callback_token_hash: Mapped[str | None] = mapped_column(default=None)

    __table_args__ = (
        tenant_fk("episode_id", "episodes"),
        tenant_fk("queue_item_id", "episode_schedule_queue"),
        Index(
            "ix_generation_runs_organization_id_episode_id_attempt",
            "organization_id",
            "episode_id",
            "attempt",
        ),
        Index(
            "ix_generation_runs_organization_id_queue_item_id",
            "organization_id",
            "queue_item_id",
        ),
        one_of("status", RunStatus),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )


# --- statements ---------------------------------------------------------------------------

_runs = table_of(GenerationRunRow)
RUN = select(_runs).where(_runs.c.organization_id == ORG, _runs.c.id == bindparam("id"))
RUN_FOR_UPDATE = RUN.with_for_update()
RUN_LATEST_FOR_EPISODE = (
    select(_runs)
    .where(_runs.c.organization_id == ORG, _runs.c.episode_id == bindparam("episode_id"))
    .order_by(_runs.c.attempt.desc(), _runs.c.id.desc())
    .limit(1)
)
_queue = table_of(QueueItemRow)
RUN_LATEST_FOR_EPISODE_OF_ITEM = (
    select(_runs)
    .where(
        _runs.c.organization_id == ORG,
        _runs.c.episode_id
        == select(_queue.c.episode_id)
        .where(_queue.c.organization_id == ORG, _queue.c.id == bindparam("item_id"))
        .scalar_subquery(),
    )
    .order_by(_runs.c.attempt.desc(), _runs.c.id.desc())
    .limit(1)
)

_episodes = table_of(EpisodeRow)
# The item, its episode and its live project (``projects.get`` skips deleted ones) in one
# read; split back by table (base.split_row). No lock: the caller holds the item or run.
_projects = table_of(ProjectRow)
SLOT_OF_ITEM = (
    select(_queue, _episodes, _projects)
    .select_from(_queue)
    .outerjoin(
        _episodes,
        and_(_episodes.c.organization_id == ORG, _episodes.c.id == _queue.c.episode_id),
    )
    .outerjoin(
        _projects,
        and_(
            _projects.c.organization_id == ORG,
            _projects.c.id == _queue.c.project_id,
            _projects.c.deleted_at.is_(None),
        ),
    )
    .where(_queue.c.organization_id == ORG, _queue.c.id == bindparam("item_id"))
)

# Episode.report_progress's rule in one statement: the run's row is share-locked first
# (a unit of work holding it for update, applying the result or superseding the run, is
# waited for, and the run is then judged as that one left it), then the episode is
# updated only if it is GENERATING and (stage rank, percent) moves forward. Concurrent
# reports on one episode queue on its row, and each re-checks the guard against the
# row as the one before it left it (READ COMMITTED re-evaluation), so none moves it back.
_open_run = (
    select(_runs.c.episode_id)
    .where(
        _runs.c.organization_id == ORG,
        _runs.c.id == bindparam("run_id"),
        _runs.c.status == RunStatus.RUNNING.value,
    )
    .with_for_update(read=True)
    .subquery("open_run")
)
_STAGE_RANK = case(
    {stage.value: rank for rank, stage in enumerate(STAGE_ORDER)},
    value=_episodes.c.progress_stage,
    else_=-1,
)
ADVANCE_PROGRESS = (
    update(_episodes)
    .where(
        _episodes.c.organization_id == ORG,
        _episodes.c.id == _open_run.c.episode_id,
        _episodes.c.status == EpisodeStatus.GENERATING.value,
        tuple_(_STAGE_RANK, _episodes.c.progress_percent)
        < tuple_(bindparam("stage_rank"), bindparam("new_percent")),
    )
    .values(
        progress_stage=bindparam("new_stage"),
        progress_percent=bindparam("new_percent"),
        updated_at=bindparam("now"),
    )
)


# --- mappers ------------------------------------------------------------------------------


def run_to_row(r: GenerationRun) -> GenerationRunRow:
    return GenerationRunRow(
        id=r.id,
        organization_id=r.organization_id,
        episode_id=r.episode_id,
        queue_item_id=r.queue_item_id,
        attempt=r.attempt,
        status=r.status.value,
        planning_note_ids=list(r.planning_note_ids),
        error=r.error,
        started_at=r.started_at,
        finished_at=r.finished_at,
        callback_token_hash=r.callback_token_hash,
    )


def run_from_row(r: GenerationRunRow) -> GenerationRun:
    return GenerationRun(
        id=r.id,
        organization_id=r.organization_id,
        episode_id=r.episode_id,
        queue_item_id=r.queue_item_id,
        attempt=r.attempt,
        status=RunStatus(r.status),
        planning_note_ids=list(r.planning_note_ids),
        error=r.error,
        started_at=r.started_at,
        finished_at=r.finished_at,
        callback_token_hash=r.callback_token_hash,
    )


# --- repositories -------------------------------------------------------------------------


class RunRepository(Repository, ports.GenerationRunRepository):
    def add(self, run: GenerationRun) -> None:
        self._uow.insert(run_to_row(run))

    def get(self, run_id: str) -> GenerationRun | None:
        return self._uow.first(RUN, run_from_row, id=run_id)

    def get_for_update(self, run_id: str) -> GenerationRun | None:
        """SELECT … FOR UPDATE: the row lock lasts until the transaction ends."""
        return self._uow.first(RUN_FOR_UPDATE, run_from_row, id=run_id)

    def update(self, run: GenerationRun) -> None:
        self._update(
            run_to_row(run),
            on_missing=lambda _: NotFoundError("generation run", run.id),
        )

    def latest_for_episode(self, episode_id: str) -> GenerationRun | None:
        return self._uow.first(RUN_LATEST_FOR_EPISODE, run_from_row, episode_id=episode_id)

    def latest_for_episode_of_item(self, queue_item_id: str) -> GenerationRun | None:
        return self._uow.first(RUN_LATEST_FOR_EPISODE_OF_ITEM, run_from_row, item_id=queue_item_id)

    def slot_of_item(self, queue_item_id: str) -> AttemptSlot | None:
        rows = self._uow.rows(SLOT_OF_ITEM, item_id=queue_item_id)
        if not rows:
            return None
        item, episode, project = split_row(rows[0], _queue, _episodes, _projects)
        if project is not None:
            # As projects.get does: an update of the project lands only on this version.
            self._uow.loaded_versions.setdefault(project.id, project.version)
        return AttemptSlot(
            queue_item_from_row(item),
            episode_from_row(episode) if episode is not None else None,
            project_from_row(project) if project is not None else None,
        )

    def advance_progress(
        self, run_id: str, stage: GenerationStage, percent: int, now: dt.datetime
    ) -> bool:
        parameters = {
            "org": self._org,
            "run_id": run_id,
            "stage_rank": STAGE_ORDER.index(stage),
            "new_stage": stage.value,
            "new_percent": percent,
            "now": now,
        }
        return self._uow.now(
            lambda connection: connection.execute(ADVANCE_PROGRESS, parameters).rowcount == 1
        )
