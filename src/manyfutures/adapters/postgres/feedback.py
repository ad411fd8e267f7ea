"""Feedback in PostgreSQL: planning notes, episode feedback, agent memories and highlights."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    Index,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    column_values,
    one_of,
    org_fk,
    table_of,
    tenant_fk,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.feedback import ports
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.model import (
    MAX_RATING,
    MIN_RATING,
    AgentMemory,
    EpisodeFeedback,
    PlanningNote,
    PlanningNoteStatus,
)
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class PlanningNoteRow(Base):
    __tablename__ = "planning_notes"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    user_id: Mapped[Id]
    note: Mapped[str]
    status: Mapped[str]
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    created_at: Mapped[Timestamp]
    processed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        Index(
            "ix_planning_notes_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        Index(
            "ix_planning_notes_organization_id_episode_id",
            "organization_id",
            "episode_id",
            postgresql_where=text("episode_id IS NOT NULL"),
        ),
        one_of("status", PlanningNoteStatus),
    )


class EpisodeFeedbackRow(Base):
    __tablename__ = "episode_feedback"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    episode_id: Mapped[Id]
    user_id: Mapped[Id]
    rating: Mapped[int]
    comment: Mapped[str | None]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        tenant_fk("project_id", "projects"),
        tenant_fk("episode_id", "episodes"),
        # One verdict per reader and episode: the upsert's conflict target.
        Index(
            "uq_episode_feedback_reader",
            "organization_id",
            "episode_id",
            "user_id",
            unique=True,
        ),
        # The writer's "recent feedback": a project's latest verdicts.
        Index(
            "ix_episode_feedback_organization_id_project_id_updated_at",
            "organization_id",
            "project_id",
            "updated_at",
        ),
        CheckConstraint(f"rating BETWEEN {MIN_RATING} AND {MAX_RATING}", name="rating_range"),
    )


class AgentMemoryRow(Base):
    __tablename__ = "agent_memory"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[Id]
    content: Mapped[str]
    memory_type: Mapped[str]
    importance: Mapped[float]
    created_at: Mapped[Timestamp]
    expires_at: Mapped[dt.datetime | None]

    __table_args__ = (
        tenant_fk("project_id", "projects"),
        Index(
            "ix_agent_memory_organization_id_project_id_id",
            "organization_id",
            "project_id",
            "id",
        ),
        CheckConstraint("importance BETWEEN 0 AND 1", name="importance_range"),
    )


class HighlightRow(Base):
    __tablename__ = "highlights"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id]
    episode_id: Mapped[Id]
    block_id: Mapped[Id]
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    text: Mapped[str]
    note: Mapped[str | None]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        tenant_fk("episode_id", "episodes"),
        tenant_fk("block_id", "blocks"),
        Index("ix_highlights_organization_id_episode_id_id", "organization_id", "episode_id", "id"),
        Index("ix_highlights_organization_id_block_id", "organization_id", "block_id"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="offsets"),
    )


# --- statements ---------------------------------------------------------------------------

_notes = table_of(PlanningNoteRow)
PLANNING_NOTE = select(_notes).where(
    _notes.c.organization_id == ORG, _notes.c.id == bindparam("id")
)
PLANNING_NOTES_FOR_PROJECT = (
    select(_notes)
    .where(_notes.c.organization_id == ORG, _notes.c.project_id == bindparam("project_id"))
    .order_by(_notes.c.id)
)
PLANNING_NOTES_FOR_PROJECT_WITH_STATUS = PLANNING_NOTES_FOR_PROJECT.where(
    _notes.c.status == bindparam("status")
)
# Under READ COMMITTED a row locked after waiting is read again and its WHERE re-checked,
# so a note that left the status meanwhile drops out and the others come back current.
PLANNING_NOTE_FOR_UPDATE = PLANNING_NOTE.with_for_update()
PLANNING_NOTES_WITH_STATUS_FOR_UPDATE = PLANNING_NOTES_FOR_PROJECT_WITH_STATUS.with_for_update()

_feedback = table_of(EpisodeFeedbackRow)
_insert_feedback = insert(_feedback)
# A second verdict replaces the first in place (same id, same created_at). On a
# concurrent insert of the same key, Postgres waits for it to commit and then updates it.
SAVE_EPISODE_FEEDBACK = _insert_feedback.on_conflict_do_update(
    index_elements=[_feedback.c.organization_id, _feedback.c.episode_id, _feedback.c.user_id],
    set_={
        "rating": _insert_feedback.excluded.rating,
        "comment": _insert_feedback.excluded.comment,
        "updated_at": _insert_feedback.excluded.updated_at,
    },
).returning(*_feedback.c)
EPISODE_FEEDBACK_FOR_READER = select(_feedback).where(
    _feedback.c.organization_id == ORG,
    _feedback.c.episode_id == bindparam("episode_id"),
    _feedback.c.user_id == bindparam("user_id"),
)
RECENT_EPISODE_FEEDBACK = (
    select(_feedback)
    .where(_feedback.c.organization_id == ORG, _feedback.c.project_id == bindparam("project_id"))
    .order_by(_feedback.c.updated_at.desc(), _feedback.c.id.desc())
    .limit(bindparam("limit"))
)

_memories = table_of(AgentMemoryRow)
AGENT_MEMORY = select(_memories).where(
    _memories.c.organization_id == ORG, _memories.c.id == bindparam("id")
)
AGENT_MEMORY_DELETE = delete(_memories).where(
    _memories.c.organization_id == ORG, _memories.c.id == bindparam("id")
)
AGENT_MEMORY_COUNT = select(func.count()).where(
    _memories.c.organization_id == ORG, _memories.c.project_id == bindparam("project_id")
)
AGENT_MEMORIES_FOR_PROJECT = (
    select(_memories)
    .where(_memories.c.organization_id == ORG, _memories.c.project_id == bindparam("project_id"))
    .order_by(_memories.c.id)
)

_highlights = table_of(HighlightRow)
HIGHLIGHT = select(_highlights).where(
    _highlights.c.organization_id == ORG, _highlights.c.id == bindparam("id")
)
HIGHLIGHTS_FOR_EPISODE = (
    select(_highlights)
    .where(
        _highlights.c.organization_id == ORG, _highlights.c.episode_id == bindparam("episode_id")
    )
    .order_by(_highlights.c.id)
)
HIGHLIGHT_DELETE = delete(_highlights).where(
    _highlights.c.organization_id == ORG, _highlights.c.id == bindparam("id")
)


# --- mappers ------------------------------------------------------------------------------


def note_to_row(n: PlanningNote) -> PlanningNoteRow:
    return PlanningNoteRow(
        id=n.id,
        organization_id=n.organization_id,
        project_id=n.project_id,
        user_id=n.user_id,
        note=n.note,
        status=n.status.value,
        episode_id=n.episode_id,
        created_at=n.created_at,
        processed_at=n.processed_at,
    )


def note_from_row(r: PlanningNoteRow) -> PlanningNote:
    return PlanningNote(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        user_id=r.user_id,
        note=r.note,
        status=PlanningNoteStatus(r.status),
        episode_id=r.episode_id,
        created_at=r.created_at,
        processed_at=r.processed_at,
    )


def feedback_to_row(f: EpisodeFeedback) -> EpisodeFeedbackRow:
    return EpisodeFeedbackRow(
        id=f.id,
        organization_id=f.organization_id,
        project_id=f.project_id,
        episode_id=f.episode_id,
        user_id=f.user_id,
        rating=f.rating,
        comment=f.comment,
        created_at=f.created_at,
        updated_at=f.updated_at,
    )


def feedback_from_row(r: EpisodeFeedbackRow) -> EpisodeFeedback:
    return EpisodeFeedback(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        episode_id=r.episode_id,
        user_id=r.user_id,
        rating=r.rating,
        comment=r.comment,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def memory_to_row(m: AgentMemory) -> AgentMemoryRow:
    return AgentMemoryRow(
        id=m.id,
        organization_id=m.organization_id,
        project_id=m.project_id,
        content=m.content,
        memory_type=m.memory_type,
        importance=m.importance,
        created_at=m.created_at,
        expires_at=m.expires_at,
    )


def memory_from_row(r: AgentMemoryRow) -> AgentMemory:
    return AgentMemory(
        id=r.id,
        organization_id=r.organization_id,
        project_id=r.project_id,
        content=r.content,
        memory_type=r.memory_type,
        importance=r.importance,
        created_at=r.created_at,
        expires_at=r.expires_at,
    )


def highlight_to_row(h: Highlight) -> HighlightRow:
    return HighlightRow(
        id=h.id,
        organization_id=h.organization_id,
        user_id=h.user_id,
        episode_id=h.episode_id,
        block_id=h.block_id,
        start_offset=h.start_offset,
        end_offset=h.end_offset,
        text=h.text,
        note=h.note,
        created_at=h.created_at,
    )


def highlight_from_row(r: HighlightRow) -> Highlight:
    return Highlight(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        episode_id=r.episode_id,
        block_id=r.block_id,
        start_offset=r.start_offset,
        end_offset=r.end_offset,
        text=r.text,
        note=r.note,
        created_at=r.created_at,
    )


# --- repositories -------------------------------------------------------------------------


class PlanningNoteRepository(Repository, ports.PlanningNoteRepository):
    def add(self, note: PlanningNote) -> None:
        self._uow.insert(note_to_row(note))

    def get(self, note_id: str) -> PlanningNote | None:
        return self._uow.first(PLANNING_NOTE, note_from_row, id=note_id)

    def get_for_update(self, note_id: str) -> PlanningNote | None:
        return self._uow.first(PLANNING_NOTE_FOR_UPDATE, note_from_row, id=note_id)

    def list_for_update(
        self, project_id: str, status: PlanningNoteStatus
    ) -> Sequence[PlanningNote]:
        rows = self._uow.rows(
            PLANNING_NOTES_WITH_STATUS_FOR_UPDATE, project_id=project_id, status=status.value
        )
        return [note_from_row(r) for r in rows]

    def update(self, note: PlanningNote) -> None:
        self._update(
            note_to_row(note),
            on_missing=lambda _: NotFoundError("planning note", note.id),
        )

    def list_for_project(
        self, project_id: str, status: PlanningNoteStatus | None = None
    ) -> Sequence[PlanningNote]:
        if status is None:
            rows = self._uow.rows(PLANNING_NOTES_FOR_PROJECT, project_id=project_id)
        else:
            rows = self._uow.rows(
                PLANNING_NOTES_FOR_PROJECT_WITH_STATUS,
                project_id=project_id,
                status=status.value,
            )
        return [note_from_row(r) for r in rows]


class EpisodeFeedbackRepository(Repository, ports.EpisodeFeedbackRepository):
    def save(self, feedback: EpisodeFeedback) -> EpisodeFeedback:
        values = column_values(feedback_to_row(feedback))
        self._uow.check_tenant(_feedback, values)
        # A Core row, like those ``rows()`` gives: it answers the row class's attributes.
        row: Any = self._uow.now(
            lambda connection: connection.execute(SAVE_EPISODE_FEEDBACK, values).one()
        )
        return feedback_from_row(row)

    def get_for_reader(self, episode_id: str, user_id: str) -> EpisodeFeedback | None:
        return self._uow.first(
            EPISODE_FEEDBACK_FOR_READER, feedback_from_row, episode_id=episode_id, user_id=user_id
        )

    def recent_for_project(self, project_id: str, limit: int) -> Sequence[EpisodeFeedback]:
        rows = self._uow.rows(RECENT_EPISODE_FEEDBACK, project_id=project_id, limit=limit)
        return [feedback_from_row(r) for r in rows]


class AgentMemoryRepository(Repository, ports.AgentMemoryRepository):
    def add(self, memory: AgentMemory) -> None:
        self._uow.insert(memory_to_row(memory))

    def get(self, memory_id: str) -> AgentMemory | None:
        return self._uow.first(AGENT_MEMORY, memory_from_row, id=memory_id)

    def delete(self, memory_id: str) -> None:
        parameters = {"org": self._org, "id": memory_id}

        def run(connection: Connection) -> None:
            connection.execute(AGENT_MEMORY_DELETE, parameters)

        self._uow.later(run)

    def count_for_project(self, project_id: str) -> int:
        return int(self._uow.rows(AGENT_MEMORY_COUNT, project_id=project_id)[0][0])

    def list_for_project(self, project_id: str) -> Sequence[AgentMemory]:
        rows = self._uow.rows(AGENT_MEMORIES_FOR_PROJECT, project_id=project_id)
        return [memory_from_row(r) for r in rows]


class HighlightRepository(Repository, ports.HighlightRepository):
    def add(self, highlight: Highlight) -> None:
        self._uow.insert(highlight_to_row(highlight))

    def get(self, highlight_id: str) -> Highlight | None:
        return self._uow.first(HIGHLIGHT, highlight_from_row, id=highlight_id)

    def delete(self, highlight: Highlight) -> None:
        parameters = {"org": self._org, "id": highlight.id}

        def run(connection: Connection) -> None:
            connection.execute(HIGHLIGHT_DELETE, parameters)

        self._uow.later(run)

    def list_for_episode(self, episode_id: str) -> Sequence[Highlight]:
        rows = self._uow.rows(HIGHLIGHTS_FOR_EPISODE, episode_id=episode_id)
        return [highlight_from_row(r) for r in rows]
