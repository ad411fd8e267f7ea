"""A generation run: one attempt at producing one episode.

Callbacks name the run, not the episode, so a late answer to an old attempt can
be recognised and ignored instead of overwriting a newer one. Each run has its own
callback token; only its hash is kept (``callback_token.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from manyfutures.core.shared.errors import StateConflictError, ValidationError


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(slots=True, kw_only=True)
class GenerationRun:
    id: str
    organization_id: str
    episode_id: str
    queue_item_id: str
    attempt: int
    status: RunStatus = RunStatus.RUNNING
    planning_note_ids: list[str] = field(default_factory=list)
    error: str | None = None
    # None for runs opened before callbacks were authenticated: no token matches them.
    callback_token_hash: str | None = None
    started_at: datetime
    finished_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status is RunStatus.RUNNING

    def finish(self, status: RunStatus, now: datetime, error: str | None = None) -> None:
        if not self.is_open:
            raise StateConflictError(f"run {self.id} already finished as {self.status.value}")
        # "Finishing" as RUNNING would leave an open run with a finished_at.
        if status is RunStatus.RUNNING:
            raise ValidationError.for_field("status", "a run finishes as succeeded or failed")
        self.status = status
        self.error = error
        self.finished_at = now
