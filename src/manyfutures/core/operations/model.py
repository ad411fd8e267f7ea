"""The operations view: an organization's pipeline at a glance, or every organization's.

Counts and short lists, never content: what an admin needs to see that slots are
flowing, which runs are in flight and how far along, which episodes failed and why,
and whether mail is leaving. Each item carries its organization's id, so the
operators' view across organizations is made of the same pieces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyfutures.core.episodes.episode import GenerationStage
from manyfutures.core.scheduling.queue import LIVE_QUEUE_STATUSES, QueueStatus

FINISHED_QUEUE_STATUSES = (QueueStatus.COMPLETED, QueueStatus.FAILED, QueueStatus.CANCELLED)
FINISHED_WINDOW = timedelta(hours=24)
"""Finished items are counted for the slots of the last day only: the queue keeps its
whole history, and the live statuses are what needs watching."""
MAX_LISTED = 50
"""Runs in flight and failed episodes shown at most, oldest run / newest failure first."""


@dataclass(frozen=True, slots=True)
class QueueCount:
    organization_id: str
    status: QueueStatus
    items: int


@dataclass(frozen=True, slots=True)
class RunInFlight:
    """An episode in GENERATING with its latest run: how far it got, since when."""

    organization_id: str
    episode_id: str
    project_id: str
    project_title: str
    stage: GenerationStage | None
    percent: int
    attempt: int
    started_at: datetime


@dataclass(frozen=True, slots=True)
class FailedEpisode:
    organization_id: str
    episode_id: str
    project_id: str
    project_title: str
    failed_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    """Mail still to go (pending, including messages waiting for a retry) and mail that
    will never go (dead), each with its oldest message's creation time."""

    organization_id: str
    backlog: int
    oldest_backlog_at: datetime | None
    dead: int
    oldest_dead_at: datetime | None


@dataclass(frozen=True, slots=True)
class OperationsSnapshot:
    """What the store read: one organization's, or (operators) every organization's."""

    queue: Sequence[QueueCount]
    runs: Sequence[RunInFlight]
    failed: Sequence[FailedEpisode]
    outbox: Sequence[OutboxHealth]


@dataclass(frozen=True, slots=True)
class OperationsView:
    """A snapshot as of a moment, so a page can say how old each thing is."""

    as_of: datetime
    snapshot: OperationsSnapshot

    def age(self, moment: datetime) -> timedelta:
        return max(self.as_of - moment, timedelta(0))

    def queue_counts(self, organization_id: str | None = None) -> Mapping[QueueStatus, int]:
        """Items per status, every status present (zero where none); all organizations'
        added up unless one is named."""
        counts = dict.fromkeys((*LIVE_QUEUE_STATUSES, *FINISHED_QUEUE_STATUSES), 0)
        for count in self.snapshot.queue:
            if organization_id is None or count.organization_id == organization_id:
                counts[count.status] += count.items
        return counts

    def organizations(self) -> list[str]:
        """Every organization something is shown for, in id order."""
        seen = {c.organization_id for c in self.snapshot.queue}
        seen |= {r.organization_id for r in self.snapshot.runs}
        seen |= {f.organization_id for f in self.snapshot.failed}
        seen |= {o.organization_id for o in self.snapshot.outbox}
        return sorted(seen)

    def outbox_of(self, organization_id: str) -> OutboxHealth:
        return next(
            (o for o in self.snapshot.outbox if o.organization_id == organization_id),
            OutboxHealth(organization_id, 0, None, 0, None),
        )


def format_age(age: timedelta) -> str:
    """``42s``, ``7m``, ``3h 05m``, ``2d 4h``: as precise as a glance needs."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def parse_operators(value: str) -> frozenset[str]:
    """``MANYFUTURES_OPERATOR_USERS``: user ids separated by commas, blanks ignored."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())
