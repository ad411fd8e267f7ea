"""What readers tell us to steer the next episode: planning notes and memories."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from manyfutures.core.shared.errors import StateConflictError, ValidationError

MAX_NOTE_LENGTH = 2_000


class PlanningNoteStatus(enum.StrEnum):
    """pending → sent (an open generation run carries it) → incorporated (that run's
    episode published). A run that fails hands its notes back: pending, for the next
    run, which for a retried slot is its next attempt (ADR 0016). Pending and sent
    notes may be archived; only a pending one may be edited."""

    PENDING = "pending"
    SENT = "sent"
    INCORPORATED = "incorporated"
    ARCHIVED = "archived"


@dataclass(slots=True, kw_only=True)
class PlanningNote:
    id: str
    organization_id: str
    project_id: str
    user_id: str
    note: str
    status: PlanningNoteStatus = PlanningNoteStatus.PENDING
    episode_id: str | None = None
    created_at: datetime
    processed_at: datetime | None = None

    @staticmethod
    def validate_text(note: str) -> str:
        cleaned = note.strip() if isinstance(note, str) else ""
        if not cleaned:
            raise ValidationError.for_field("note", "note must not be empty")
        if len(cleaned) > MAX_NOTE_LENGTH:
            raise ValidationError.for_field(
                "note", f"note must be at most {MAX_NOTE_LENGTH} characters"
            )
        return cleaned

    def edit(self, text: str) -> None:
        """Only while pending: once a writer has read the note, what it read stays on record."""
        if self.status is not PlanningNoteStatus.PENDING:
            raise StateConflictError(
                f"planning note {self.id} is {self.status.value} and can no longer be edited"
            )
        self.note = self.validate_text(text)

    def send(self, episode_id: str) -> None:
        """Carried by a run writing ``episode_id``."""
        self._expect(PlanningNoteStatus.SENT, PlanningNoteStatus.PENDING)
        self.status = PlanningNoteStatus.SENT
        self.episode_id = episode_id

    def return_to_pending(self) -> None:
        """The run carrying it failed: the episode it was sent for was not written from it."""
        self._expect(PlanningNoteStatus.PENDING, PlanningNoteStatus.SENT)
        self.status = PlanningNoteStatus.PENDING
        self.episode_id = None

    def incorporate(self, episode_id: str, now: datetime) -> None:
        self._expect(PlanningNoteStatus.INCORPORATED, PlanningNoteStatus.SENT)
        self.status = PlanningNoteStatus.INCORPORATED
        self.episode_id = episode_id
        self.processed_at = now

    def archive(self, now: datetime) -> None:
        """Withdraws the note from every later run. A sent note keeps the episode it was
        sent for: that run may already have read it, and is not stopped (ADR 0016)."""
        if self.status not in (PlanningNoteStatus.PENDING, PlanningNoteStatus.SENT):
            raise StateConflictError(
                f"planning note {self.id} is {self.status.value} and can no longer be archived"
            )
        self.status = PlanningNoteStatus.ARCHIVED
        self.processed_at = now

    def _expect(self, target: PlanningNoteStatus, source: PlanningNoteStatus) -> None:
        if self.status is not source:
            raise StateConflictError(
                f"planning note {self.id} is {self.status.value}, not {source.value}: "
                f"it cannot become {target.value}"
            )


MIN_RATING = 1
MAX_RATING = 5
MAX_FEEDBACK_COMMENT_LENGTH = 2_000


@dataclass(slots=True, kw_only=True)
class EpisodeFeedback:
    """A reader's verdict on one episode: one per reader and episode, replaced when they
    give another (the newest verdict is the one that steers the writer)."""

    id: str
    organization_id: str
    project_id: str
    episode_id: str
    user_id: str
    rating: int
    comment: str | None = None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def validate(rating: object, comment: str | None) -> tuple[int, str | None]:
        """The rating (a whole number from 1 to 5) and the comment, stripped (blank means none);
        every broken rule is reported at once, per field."""
        errors: dict[str, list[str]] = {}
        valid_rating = (
            isinstance(rating, int)
            and not isinstance(rating, bool)
            and MIN_RATING <= rating <= MAX_RATING
        )
        if not valid_rating:
            errors["rating"] = [f"rating must be a whole number from {MIN_RATING} to {MAX_RATING}"]
        cleaned = comment.strip() or None if comment is not None else None
        if cleaned is not None and len(cleaned) > MAX_FEEDBACK_COMMENT_LENGTH:
            errors["comment"] = [
                f"comment must be at most {MAX_FEEDBACK_COMMENT_LENGTH} characters"
            ]
        if errors or not isinstance(rating, int):
            raise ValidationError("invalid feedback", errors)
        return rating, cleaned


@dataclass(slots=True, kw_only=True)
class AgentMemory:
    id: str
    organization_id: str
    project_id: str
    content: str
    memory_type: str = "preference"
    importance: float = 0.5
    created_at: datetime
    expires_at: datetime | None = None
