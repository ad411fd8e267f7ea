"""The episode generator port: n8n in production, a local simulation in memory mode.

Generation is asynchronous: ``start`` hands the request over and returns; the
result arrives later through the apply-result use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.costs.ports import BudgetStore, UsageStore
from manyfutures.core.episodes.episode import Episode, GenerationStage
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.feedback.ports import FeedbackStore
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.ports import IdentityStore
from manyfutures.core.notifications.ports import NotificationsStore
from manyfutures.core.outbox.ports import OutboxStore
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.ports import ProjectStore
from manyfutures.core.scheduling.ports import QueueStore
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class NoteForWriter:
    id: str
    note: str


@dataclass(frozen=True, slots=True)
class MemoryForWriter:
    content: str
    memory_type: str
    importance: float


@dataclass(frozen=True, slots=True)
class RecentEpisode:
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class FeedbackForWriter:
    """A reader's verdict on an earlier episode of the project."""

    episode_id: str
    rating: int
    comment: str | None
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    run_id: str
    episode_id: str
    project_id: str
    organization_id: str
    attempt: int
    title: str
    brief: str
    cadence: Cadence
    planning_notes: tuple[NoteForWriter, ...]
    memories: tuple[MemoryForWriter, ...]
    recent_episodes: tuple[RecentEpisode, ...]
    # The most this run may spend; the generator stops (not retryable) before passing it.
    max_cost_gbp: Decimal
    # Proves the callbacks come from whoever received this request; see callback_token.py.
    callback_token: str
    # The project's latest verdicts, newest first (RECENT_FEEDBACK_IN_PAYLOAD of them).
    recent_feedback: tuple[FeedbackForWriter, ...] = ()


class EpisodeGenerator(Protocol):
    def start(self, request: GenerationRequest) -> None:
        """Hand the request to the generator; raise GeneratorUnavailableError if it refused."""
        ...


class GeneratorUnavailableError(Exception):
    """The generator could not accept the job (connection refused, timeout, 5xx)."""


class CallbackTokens(Protocol):
    def new_token(self) -> str:
        """A fresh unguessable token (at least 256 random bits), URL- and header-safe."""
        ...


@dataclass(frozen=True, slots=True)
class RunCredentials:
    organization_id: str
    callback_token_hash: str | None


class RunLocator(Protocol):
    """Finds a run from its id alone, in whichever organization it is.

    A generator's callback names a run, not an organization, so this is the one read
    that crosses tenants on the callback path (in PostgreSQL a SECURITY DEFINER
    function, listed in ADR 0007). It returns only what authenticating the callback needs;
    everything else is read in the run's own organization afterwards.
    """

    def locate(self, run_id: str) -> RunCredentials | None: ...


@dataclass(frozen=True, slots=True)
class AttemptSlot:
    """A queue item with the episode it fills and that episode's project, read together.

    Every start job and every result needs all three once it holds its lock (the item,
    or the run); one read instead of three saves two round trips on the pipeline's two
    hottest transactions."""

    item: ScheduleQueueItem
    episode: Episode | None
    project: Project | None
    """None once the project is deleted, as ``projects.get`` answers."""


class GenerationRunRepository(Protocol):
    def add(self, run: GenerationRun) -> None: ...
    def get(self, run_id: str) -> GenerationRun | None: ...
    def get_for_update(self, run_id: str) -> GenerationRun | None:
        """The run, locked until this unit of work ends: another unit of work asking for
        it waits until then, and reads what this one wrote. Reports on one run (a
        duplicate callback, progress racing the result) are so applied one at a time."""
        ...

    def update(self, run: GenerationRun) -> None: ...
    def latest_for_episode(self, episode_id: str) -> GenerationRun | None: ...
    def latest_for_episode_of_item(self, queue_item_id: str) -> GenerationRun | None:
        """``latest_for_episode`` of the queue item's episode, in one read; None if the item
        or its episode has no run (or there is no such item)."""
        ...

    def slot_of_item(self, queue_item_id: str) -> AttemptSlot | None:
        """The item, its episode and its project as ``queue.get``, ``episodes.get`` and
        ``projects.get`` would read them (no lock taken), in one read; None if there is
        no such item. Read it after taking the lock that guards them (the item's or the
        run's), so it sees what the holder before wrote."""
        ...

    def advance_progress(
        self, run_id: str, stage: GenerationStage, percent: int, now: datetime
    ) -> bool:
        """Move the run's episode to (stage, percent) if the run is open, the episode
        GENERATING and behind it (``Episode.report_progress``'s rule); return whether it
        moved. Like ``get_for_update``, it waits for a unit of work holding the run and
        then judges what that one wrote, so progress never moves backwards and never
        lands after the run's result."""
        ...


class RunStore(UnitOfWork, Protocol):
    """An organization's generation runs (one per attempt)."""

    @property
    def runs(self) -> GenerationRunRepository: ...


class GenerationUnitOfWork(
    RunStore,
    EpisodeStore,
    QueueStore,
    ProjectStore,
    FeedbackStore,
    UsageStore,
    BudgetStore,
    IdentityStore,
    NotificationsStore,
    ActivityStore,
    OutboxStore,
    Protocol,
):
    """Generation orchestrates the others: a run turns a slot, the project's brief and its
    pending feedback into a published episode, its cost (reserved before it starts), the
    reader's notification and their email (in the outbox)."""
