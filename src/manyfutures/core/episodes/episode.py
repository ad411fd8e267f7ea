"""Episodes and their content blocks, with a guarded generation state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from manyfutures.core.shared.errors import StateConflictError, ValidationError


class EpisodeStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    GENERATING = "GENERATING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"


class GenerationStage(enum.StrEnum):
    RESEARCH = "research"
    WRITING = "writing"
    REVIEW = "review"


STAGE_ORDER = (GenerationStage.RESEARCH, GenerationStage.WRITING, GenerationStage.REVIEW)


def check_percent(percent: int) -> None:
    if not 0 <= percent <= 100:
        raise ValidationError.for_field("percent", "percent must be between 0 and 100")


# DRAFT -> FAILED: a slot whose worker vanished on its last attempt before starting, or
#   one the daily cost limit held back until its UTC day was over (``skip``).
# GENERATING -> DRAFT: a failed attempt that will be retried waits as a draft again.
# FAILED -> DRAFT: a reader asked to retry a generation that gave up.
_ALLOWED: dict[EpisodeStatus, frozenset[EpisodeStatus]] = {
    EpisodeStatus.DRAFT: frozenset({EpisodeStatus.GENERATING, EpisodeStatus.FAILED}),
    EpisodeStatus.GENERATING: frozenset(
        {EpisodeStatus.PUBLISHED, EpisodeStatus.FAILED, EpisodeStatus.DRAFT}
    ),
    EpisodeStatus.FAILED: frozenset({EpisodeStatus.DRAFT}),
    EpisodeStatus.PUBLISHED: frozenset(),
}


class BlockType(enum.StrEnum):
    MARKDOWN = "MARKDOWN"


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(slots=True, kw_only=True)
class Block:
    id: str
    episode_id: str
    organization_id: str
    type: BlockType = BlockType.MARKDOWN
    content: str
    position: int = 0
    reasoning: str | None = None
    confidence: float | None = None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True, kw_only=True)
class Episode:
    id: str
    organization_id: str
    project_id: str
    status: EpisodeStatus = EpisodeStatus.DRAFT
    title: str | None = None
    summary: str | None = None
    scheduled_for: datetime
    published_at: datetime | None = None
    reading_minutes: int | None = None
    sources: list[Source] = field(default_factory=list)
    generation_attempts: int = 0
    generation_errors: list[str] = field(default_factory=list)
    progress_stage: GenerationStage | None = None
    progress_percent: int = 0
    created_at: datetime
    updated_at: datetime

    @property
    def is_final(self) -> bool:
        return self.status is EpisodeStatus.PUBLISHED

    def _move(self, target: EpisodeStatus, now: datetime) -> None:
        if target not in _ALLOWED[self.status]:
            raise StateConflictError(
                f"episode {self.id} cannot go from {self.status.value} to {target.value}"
            )
        self.status = target
        self.updated_at = now

    def start_generation(self, now: datetime) -> None:
        self._move(EpisodeStatus.GENERATING, now)
        self.generation_attempts += 1
        self.progress_stage = GenerationStage.RESEARCH
        self.progress_percent = 0

    def report_progress(self, stage: GenerationStage, percent: int, now: datetime) -> bool:
        """Apply progress if it moves forward; return False for stale or out-of-order reports.

        Forward means a later (stage, percent) pair in STAGE_ORDER, then percent: the
        PostgreSQL adapter applies the same rule in one guarded UPDATE
        (``runs.advance_progress``), and the contract suite holds both to it."""
        check_percent(percent)
        if self.status is not EpisodeStatus.GENERATING:
            return False
        current = (
            STAGE_ORDER.index(self.progress_stage) if self.progress_stage else -1,
            self.progress_percent,
        )
        if (STAGE_ORDER.index(stage), percent) <= current:
            return False
        self.progress_stage = stage
        self.progress_percent = percent
        self.updated_at = now
        return True

    def publish(
        self,
        *,
        title: str,
        summary: str,
        sources: list[Source],
        reading_minutes: int,
        now: datetime,
    ) -> None:
        self._move(EpisodeStatus.PUBLISHED, now)
        self.title = title
        self.summary = summary
        self.sources = list(sources)
        self.reading_minutes = reading_minutes
        self.published_at = now
        self.progress_stage = GenerationStage.REVIEW
        self.progress_percent = 100

    def record_failed_attempt(self, error: str, will_retry: bool, now: datetime) -> None:
        # Guard first: a refused transition must leave the episode (and its errors) untouched.
        if self.status not in (EpisodeStatus.GENERATING, EpisodeStatus.DRAFT):
            raise StateConflictError(f"episode {self.id} is {self.status.value}; no attempt runs")
        self._move(EpisodeStatus.DRAFT if will_retry else EpisodeStatus.FAILED, now)
        self.generation_errors.append(error)
        self.progress_stage = None
        self.progress_percent = 0

    def skip(self, reason: str, now: datetime) -> None:
        """A draft whose slot never ran and never will (its day ended with the cost limit
        reached): FAILED, with why, so the reader sees it and may retry it by hand."""
        if self.status is not EpisodeStatus.DRAFT:
            raise StateConflictError(f"episode {self.id} is {self.status.value}; only drafts skip")
        self._move(EpisodeStatus.FAILED, now)
        self.generation_errors.append(reason)

    def reset_for_retry(self, now: datetime) -> None:
        """Only a generation that gave up is retried by hand; a running one finishes first."""
        if self.status is not EpisodeStatus.FAILED:
            raise StateConflictError(
                f"episode {self.id} is {self.status.value}; only FAILED episodes retry"
            )
        self._move(EpisodeStatus.DRAFT, now)
