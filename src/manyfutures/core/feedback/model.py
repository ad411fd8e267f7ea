"""What readers tell us to steer the next episode: planning notes and memories."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from manyfutures.core.shared.errors import StateConflictError, ValidationError

MAX_NOTE_LENGTH = 2_000


class PlanningNoteStatus(enum.StrEnum):
    PENDING = "pending"
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

    def incorporate(self, episode_id: str, now: datetime) -> None:
        if self.status is not PlanningNoteStatus.PENDING:
            raise StateConflictError(f"planning note {self.id} is {self.status.value}")
        self.status = PlanningNoteStatus.INCORPORATED
        self.episode_id = episode_id
        self.processed_at = now

    def archive(self, now: datetime) -> None:
        if self.status is not PlanningNoteStatus.PENDING:
            raise StateConflictError(
                f"planning note {self.id} is {self.status.value} and can no longer be archived"
            )
        self.status = PlanningNoteStatus.ARCHIVED
        self.processed_at = now


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
