"""Episodes in PostgreSQL: episodes and their content blocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Index,
    UniqueConstraint,
    and_,
    any_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_ARRAY,
    Base,
    Id,
    Timestamp,
    by_value,
    one_of,
    org_fk,
    table_of,
    tenant_fk,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.episodes import ports
from manyfutures.core.episodes.episode import (
    Block,
    BlockType,
    Episode,
    EpisodeStatus,
    GenerationStage,
    Source,
)
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class EpisodeRow(Base):
    __tablename__ = "episodes"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    status: Mapped[str]
    title: Mapped[str | None]
    summary: Mapped[str | None]
    scheduled_for: Mapped[Timestamp]
    published_at: Mapped[dt.datetime | None]
    reading_minutes: Mapped[int | None]
    sources: Mapped[list[dict[str, Any]]] = mapped_column(server_default=text("'[]'"))
    generation_attempts: Mapped[int]
    generation_errors: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    progress_stage: Mapped[str | None]
    progress_percent: Mapped[int]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("project_id", "projects"),
        Index("ix_episodes_organization_id_project_id_id", "organization_id", "project_id", "id"),
        # The operations views' two lists (runs in flight, failures), polled every 5 s.
        Index(
            "ix_episodes_in_operations",
            "organization_id",
            "updated_at",
            postgresql_where=text("status IN ('GENERATING', 'FAILED')"),
        ),
        one_of("status", EpisodeStatus),
        one_of("progress_stage", GenerationStage),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_percent"),
        CheckConstraint("generation_attempts >= 0", name="generation_attempts"),
        CheckConstraint("jsonb_typeof(sources) = 'array'", name="sources_array"),
    )


class BlockRow(Base):
    __tablename__ = "blocks"

    id: Mapped[Id] = mapped_column(primary_key=True)
    episode_id: Mapped[Id]
    organization_id: Mapped[Id] = mapped_column(org_fk())
    type: Mapped[str]
    content: Mapped[str]
    position: Mapped[int]
    reasoning: Mapped[str | None]
    confidence: Mapped[float | None]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_blocks_organization_id_episode_id_position",
            "organization_id",
            "episode_id",
            "position",
        ),
        one_of("type", BlockType),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
    )


# --- statements ---------------------------------------------------------------------------

_episodes = table_of(EpisodeRow)
_my_episodes = select(_episodes).where(_episodes.c.organization_id == ORG)
EPISODE = _my_episodes.where(_episodes.c.id == bindparam("id"))
EPISODE_PAGE = (
    _my_episodes.where(_episodes.c.project_id == bindparam("project_id"))
    .order_by(_episodes.c.id.desc())
    .limit(bindparam("limit"))
)
EPISODE_PAGE_AFTER = EPISODE_PAGE.where(_episodes.c.id < bindparam("after"))
EPISODE_FOR_SLOT = (
    _my_episodes.where(
        _episodes.c.project_id == bindparam("project_id"),
        _episodes.c.scheduled_for == bindparam("scheduled_for"),
    )
    .order_by(_episodes.c.id)
    .limit(1)
)
EPISODES_BY_ID = _my_episodes.where(_episodes.c.id == any_(bindparam("ids", type_=ID_ARRAY)))
# The (project id, slot) pairs come as two arrays, zipped by unnest: one statement text for
# any number of slots, so it is prepared once. The lowest id of a slot, as EPISODE_FOR_SLOT.
_wanted_slots = (
    func.unnest(
        bindparam("project_ids", type_=ID_ARRAY),
        bindparam("slots", type_=ARRAY(DateTime(timezone=True))),
    )
    .table_valued("project_id", "scheduled_for")
    .render_derived(with_types=False)
    .alias("wanted")
)
EPISODES_FOR_SLOTS = (
    _my_episodes.join(
        _wanted_slots,
        and_(
            _episodes.c.project_id == _wanted_slots.c.project_id,
            _episodes.c.scheduled_for == _wanted_slots.c.scheduled_for,
        ),
    )
    .ext(distinct_on(_episodes.c.project_id, _episodes.c.scheduled_for))
    .order_by(_episodes.c.project_id, _episodes.c.scheduled_for, _episodes.c.id)
)
EPISODES_RECENT_WITH_STATUS = (
    _my_episodes.where(
        _episodes.c.project_id == bindparam("project_id"),
        _episodes.c.status == bindparam("status"),
    )
    .order_by(
        func.coalesce(_episodes.c.published_at, _episodes.c.created_at).desc(),
        _episodes.c.id.desc(),
    )
    .limit(bindparam("limit"))
)

_blocks = table_of(BlockRow)
BLOCKS_FOR_EPISODE = (
    select(_blocks)
    .where(_blocks.c.organization_id == ORG, _blocks.c.episode_id == bindparam("episode_id"))
    .order_by(_blocks.c.position, _blocks.c.id)
)


# --- mappers ------------------------------------------------------------------------------


def episode_to_row(e: Episode) -> EpisodeRow:
    return EpisodeRow(
        id=e.id,
        organization_id=e.organization_id,
        project_id=e.project_id,
        status=e.status.value,
        title=e.title,
        summary=e.summary,
        scheduled_for=e.scheduled_for,
        published_at=e.published_at,
        reading_minutes=e.reading_minutes,
        sources=[{"title": s.title, "url": s.url} for s in e.sources],
        generation_attempts=e.generation_attempts,
        generation_errors=list(e.generation_errors),
        progress_stage=e.progress_stage.value if e.progress_stage else None,
        progress_percent=e.progress_percent,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


_EPISODE_STATUSES = by_value(EpisodeStatus)
_STAGES = by_value(GenerationStage)


def episode_from_row(r: EpisodeRow) -> Episode:
    return Episode(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        status=_EPISODE_STATUSES[r.status],
        title=r.title,
        summary=r.summary,
        scheduled_for=r.scheduled_for,
        published_at=r.published_at,
        reading_minutes=r.reading_minutes,
        sources=[Source(s["title"], s["url"]) for s in r.sources],
        generation_attempts=r.generation_attempts,
        generation_errors=list(r.generation_errors),
        progress_stage=_STAGES[r.progress_stage] if r.progress_stage else None,
        progress_percent=r.progress_percent,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def block_to_row(b: Block) -> BlockRow:
    return BlockRow(
        id=b.id,
        episode_id=b.episode_id,
        organization_id=b.organization_id,
        type=b.type.value,
        content=b.content,
        position=b.position,
        reasoning=b.reasoning,
        confidence=b.confidence,
        created_at=b.created_at,
        updated_at=b.updated_at,
    )


def block_from_row(r: BlockRow) -> Block:
    return Block(
        id=r.id,
        episode_id=r.episode_id,
        organization_id=r.organization_id,
        type=BlockType(r.type),
        content=r.content,
        position=r.position,
        reasoning=r.reasoning,
        confidence=r.confidence,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


# --- repositories -------------------------------------------------------------------------


class EpisodeRepository(Repository, ports.EpisodeRepository):
    def add(self, episode: Episode) -> None:
        self._uow.insert(episode_to_row(episode))

    def get(self, episode_id: str) -> Episode | None:
        return self._uow.first(EPISODE, episode_from_row, id=episode_id)

    def get_many(self, episode_ids: Sequence[str]) -> Sequence[Episode]:
        return [episode_from_row(r) for r in self._uow.rows(EPISODES_BY_ID, ids=episode_ids)]

    def update(self, episode: Episode) -> None:
        self._update(
            episode_to_row(episode),
            on_missing=lambda _: NotFoundError("episode", episode.id),
        )

    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        if after_id is None:
            rows = self._uow.rows(EPISODE_PAGE, project_id=project_id, limit=limit)
        else:
            rows = self._uow.rows(
                EPISODE_PAGE_AFTER, project_id=project_id, limit=limit, after=after_id
            )
        return [episode_from_row(r) for r in rows]

    def find_for_slot(self, project_id: str, scheduled_for: dt.datetime) -> Episode | None:
        return self._uow.first(
            EPISODE_FOR_SLOT,
            episode_from_row,
            project_id=project_id,
            scheduled_for=scheduled_for,
        )

    def find_for_slots(self, slots: Sequence[tuple[str, dt.datetime]]) -> Sequence[Episode]:
        rows = self._uow.rows(
            EPISODES_FOR_SLOTS,
            project_ids=[project_id for project_id, _ in slots],
            slots=[slot for _, slot in slots],
        )
        return [episode_from_row(r) for r in rows]

    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]:
        rows = self._uow.rows(
            EPISODES_RECENT_WITH_STATUS,
            project_id=project_id,
            status=status.value,
            limit=limit,
        )
        return [episode_from_row(r) for r in rows]


class BlockRepository(Repository, ports.BlockRepository):
    def add(self, block: Block) -> None:
        self._uow.insert(block_to_row(block))

    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        rows = self._uow.rows(BLOCKS_FOR_EPISODE, episode_id=episode_id)
        return [block_from_row(r) for r in rows]
