"""Generation use cases: request, start, progress, result, and episode reads.

Every path into an episode's fate — the simulated generator, an n8n callback, a
refused webhook POST, an expired lease — goes through the functions here, so a
retry is decided in exactly one place.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from manyfutures.core.activity.event_types import (
    EPISODE_OPENED,
    EPISODE_PUBLISHED,
    FIRST_EPISODE_OPENED,
    PLANNING_NOTE_INCORPORATED,
)
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs.budget import day_start
from manyfutures.core.costs.model import Operation, TokenUsage
from manyfutures.core.episodes.episode import (
    Block,
    Episode,
    EpisodeStatus,
    GenerationStage,
    Source,
    check_percent,
)
from manyfutures.core.episodes.reading_time import reading_minutes
from manyfutures.core.feedback.model import AgentMemory, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.callback_token import hash_callback_token
from manyfutures.core.generation.daily_budget import refuse_spending_while_open
from manyfutures.core.generation.ports import (
    CallbackTokens,
    EpisodeGenerator,
    FeedbackForWriter,
    GenerationRequest,
    GenerationUnitOfWork,
    GeneratorUnavailableError,
    MemoryForWriter,
    NoteForWriter,
    RecentEpisode,
)
from manyfutures.core.generation.run import GenerationRun, RunStatus
from manyfutures.core.generation.spending import (
    DAILY_LIMIT_EXCEEDED,
    release_run_reservation,
    reserve_for_run,
    settle_run_usage,
)
from manyfutures.core.notifications.model import NotificationKind
from manyfutures.core.notifications.telling import Notice, Reader, tell
from manyfutures.core.outbox.emails import Email, EpisodeFailed, EpisodeReady
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.projects.model import (
    MemoryStorage,
    Project,
    ProjectMemory,
    ProjectStatus,
    live_by_importance,
)
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.scheduling.leases import Leases
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.scheduling.slots import ensure_slot, new_queue_item
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.app_pages import episode_page, retry_page
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import DuplicateError, NotFoundError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.telemetry import NO_TELEMETRY, AttemptOutcome, Telemetry
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

RECENT_EPISODES_IN_PAYLOAD = 3
EPISODE_READY = NotificationKind.EPISODE_READY
GENERATION_FAILED = NotificationKind.GENERATION_FAILED
# "Recent feedback" is the project's last verdicts, whatever their age: enough for a
# writer to see a trend, few enough to keep the prompt short (ADR 0016).
RECENT_FEEDBACK_IN_PAYLOAD = 10


def load_episode_and_project(uow: GenerationUnitOfWork, episode_id: str) -> tuple[Episode, Project]:
    """A deleted project takes its episodes with it, so the project is read either way;
    callers that act on it get it from this one read."""
    episode = uow.episodes.get(episode_id)
    project = uow.projects.get(episode.project_id) if episode is not None else None
    if episode is None or project is None:
        raise NotFoundError("episode", episode_id)
    return episode, project


@dataclass(frozen=True, slots=True)
class EpisodeCommand:
    actor: Actor
    episode_id: str


@dataclass(frozen=True, slots=True)
class RequestEpisodeCommand:
    actor: Actor
    project_id: str


class RequestEpisodeNow(UseCase[GenerationUnitOfWork]):
    """ "Generate now": a fresh DRAFT episode in a slot due immediately."""

    def __call__(self, command: RequestEpisodeCommand) -> Episode:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            project = load_project(uow, command.project_id)
            project.require_active()
            refuse_spending_while_open(uow, now)
            item = ensure_slot(uow, self._ids, project, now, now)
            episode = uow.episodes.get(item.episode_id)
            assert episode is not None
            record.audit("episode.generate", "episode", episode.id, new="DRAFT")
            record.event("episode_requested", {"projectId": project.id, "episodeId": episode.id})
            uow.commit()
            return episode


class RetryEpisode(UseCase[GenerationUnitOfWork]):
    """A reader retries a generation that gave up: a new slot, attempts counted afresh."""

    def __call__(self, command: EpisodeCommand) -> Episode:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            episode, project = load_episode_and_project(uow, command.episode_id)
            project.require_active()
            refuse_spending_while_open(uow, now)
            episode.reset_for_retry(now)
            uow.episodes.update(episode)
            item = new_queue_item(self._ids, project, episode.id, now, now)
            uow.queue.add(item)
            record.audit("episode.retry", "episode", episode.id, old="FAILED", new="DRAFT")
            record.event("episode_retried", {"projectId": project.id, "episodeId": episode.id})
            uow.commit()
            return episode


@dataclass(frozen=True, slots=True)
class StartGenerationCommand:
    organization_id: str
    queue_item_id: str
    attempt: int


class StartGeneration(UseCase[GenerationUnitOfWork]):
    """The worker's job: open a run for a claimed item and hand it to the generator.

    Opening the run swaps the item's start lease for the generation deadline, in the
    run's own transaction (core/scheduling/leases.py). The same transaction first
    reserves the run's maximum cost on today's budget (spending.py); if the cost gate
    refuses, no run opens: the item is blocked ("Daily limit exceeded") and gets back
    the attempt its claim counted, since nothing ran.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory[GenerationUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        generator: EpisodeGenerator,
        results: ApplyGenerationResult,
        tokens: CallbackTokens,
        max_cost_gbp: Decimal,
        leases: Leases,
        templates: EmailTemplates,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._generator = generator
        self._results = results
        self._tokens = tokens
        self._max_cost_gbp = max_cost_gbp
        self._leases = leases
        self._templates = templates
        self._telemetry = telemetry

    def __call__(self, command: StartGenerationCommand) -> GenerationRun | None:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            # A report on the previous attempt finishes first; everything is read after it.
            # Then the item is held (run before item, the order a report takes them), so
            # the scheduler cannot reclaim a start lease that lapses while this job opens
            # its run: its claim skips the item, or, had it claimed first, this job sees
            # the newer attempt below and stands down. The run is found through the item
            # in one read, and the item's episode and project in one more, under its lock.
            latest = lock_open_run(uow, uow.runs.latest_for_episode_of_item(command.queue_item_id))
            item = uow.queue.get_for_update(command.queue_item_id)
            if item is None or item.status is not QueueStatus.PROCESSING:
                return None
            if item.attempt_count != command.attempt:
                return None  # a newer claim owns this item; this job is stale
            slot = uow.runs.slot_of_item(item.id)
            project = slot.project if slot is not None else None
            episode = slot.episode if slot is not None else None
            if project is None or episode is None or project.status is not ProjectStatus.ACTIVE:
                # Paused or deleted meanwhile: the slot is dropped and its draft kept for reuse.
                item.cancel()
                uow.queue.update(item)
                uow.commit()
                return None
            # Everything the payload needs is read before today's budget is locked: the
            # budget is the organization's one hot row (every start and every result
            # takes it), so it is held only for the writes and the commit that follow.
            notes = uow.planning_notes.list_for_update(project.id, PlanningNoteStatus.PENDING)
            memories = _memories_for_writer(uow, project, now)
            recent_episodes = tuple(
                RecentEpisode(e.title or "", e.summary or "")
                for e in uow.episodes.recent_with_status(
                    project.id, EpisodeStatus.PUBLISHED, RECENT_EPISODES_IN_PAYLOAD
                )
            )
            recent_feedback = tuple(
                FeedbackForWriter(f.episode_id, f.rating, f.comment, f.updated_at)
                for f in uow.episode_feedback.recent_for_project(
                    project.id, RECENT_FEEDBACK_IN_PAYLOAD
                )
            )
            run_id = self._ids.new_id("run")
            record = Recorder(uow, self._ids, None, now)
            # A stale open run lost the item: it is failed (its reservation released)
            # before this attempt reserves, so its ceiling does not count against it.
            _supersede_open_run(uow, latest, episode, now)
            if not reserve_for_run(
                uow,
                self._ids,
                self._templates,
                record,
                run_id,
                episode.id,
                self._max_cost_gbp,
                now,
            ):
                item.refuse_unstarted(DAILY_LIMIT_EXCEEDED, day_start(now))
                uow.queue.update(item)
                uow.commit()
                self._telemetry.reservation(granted=False)
                self._telemetry.attempt_ended(AttemptOutcome.REFUSED_BY_LIMIT)
                return None
            episode.start_generation(now)
            for note in notes:
                note.send(episode.id)
                uow.planning_notes.update(note)
            token = self._tokens.new_token()
            run = GenerationRun(
                id=run_id,
                organization_id=item.organization_id,
                episode_id=episode.id,
                queue_item_id=item.id,
                attempt=item.attempt_count,
                planning_note_ids=[note.id for note in notes],
                callback_token_hash=hash_callback_token(token),
                started_at=now,
            )
            uow.runs.add(run)
            uow.episodes.update(episode)
            item.open_run(now, self._leases.deadline)
            uow.queue.update(item)
            request = GenerationRequest(
                run_id=run.id,
                episode_id=episode.id,
                project_id=project.id,
                organization_id=project.organization_id,
                attempt=run.attempt,
                title=project.title,
                brief=project.onboarding_brief,
                cadence=project.cadence,
                planning_notes=tuple(NoteForWriter(n.id, n.note) for n in notes),
                memories=memories,
                recent_episodes=recent_episodes,
                max_cost_gbp=self._max_cost_gbp,
                callback_token=token,
                recent_feedback=recent_feedback,
            )
            uow.commit()
        self._telemetry.reservation(granted=True)
        # Committed first: a generator that answers instantly must find the run.
        try:
            self._generator.start(request)
        except GeneratorUnavailableError as error:
            self._results(GenerationFailed(run.organization_id, run.id, str(error), True))
        return run


SUPERSEDED = "generation attempt superseded by a newer attempt"


def lock_open_run(uow: GenerationUnitOfWork, latest: GenerationRun | None) -> GenerationRun | None:
    """The episode's latest run (``latest``, as read), held if it is open: a callback
    applying a result to it is waited for, so this job never starts over an episode that
    result just published.

    An open run is read again once held (the result may have finished it), so the run
    returned is current either way; the caller reuses it instead of reading it again
    (each read is a round trip, and this job runs for every episode)."""
    if latest is not None and latest.is_open:
        return uow.runs.get_for_update(latest.id)
    return latest


def _supersede_open_run(
    uow: GenerationUnitOfWork, previous: GenerationRun | None, episode: Episode, now: datetime
) -> None:
    """A run still open when a newer attempt starts has lost the item: a run past its
    deadline is failed by lease recovery first, so only a job that raced the reclaim of its
    own lapsed start lease can leave one behind."""
    if previous is not None and previous.is_open:
        previous.finish(RunStatus.FAILED, now, SUPERSEDED)
        uow.runs.update(previous)
        release_run_reservation(uow, previous.id, now)
        _hand_back_notes(uow, previous, episode.project_id)
    if episode.status is EpisodeStatus.GENERATING:
        episode.record_failed_attempt(SUPERSEDED, will_retry=True, now=now)


def _notes_carried_by(
    uow: GenerationUnitOfWork, run: GenerationRun, project_id: str
) -> list[PlanningNote]:
    """The notes this run still carries: sent for its episode, not archived meanwhile;
    locked, so a reader archiving one at this moment is waited for (or waits).

    One read of the project's sent notes, and none for a run that carried no note."""
    if not run.planning_note_ids:
        return []
    carried = set(run.planning_note_ids)
    return [
        note
        for note in uow.planning_notes.list_for_update(project_id, PlanningNoteStatus.SENT)
        if note.id in carried and note.episode_id == run.episode_id
    ]


def _hand_back_notes(uow: GenerationUnitOfWork, run: GenerationRun, project_id: str) -> None:
    """A run that failed wrote nothing from its notes: pending again, so the next run
    carries them (for a retried slot, its next attempt; ADR 0016)."""
    for note in _notes_carried_by(uow, run, project_id):
        note.return_to_pending()
        uow.planning_notes.update(note)


def _memories_for_writer(
    uow: GenerationUnitOfWork, project: Project, now: datetime
) -> tuple[MemoryForWriter, ...]:
    memories: Sequence[ProjectMemory | AgentMemory] = (
        uow.agent_memories.list_for_project(project.id)
        if project.memory_storage is MemoryStorage.TABLE
        else project.memories
    )
    return tuple(
        MemoryForWriter(m.content, m.memory_type, m.importance)
        for m in live_by_importance(memories, now)
    )


@dataclass(frozen=True, slots=True)
class ProgressReport:
    organization_id: str
    run_id: str
    stage: GenerationStage
    percent: int


class ProgressOutcome(enum.StrEnum):
    APPLIED = "applied"
    # At or behind what the episode already shows: progress never moves backwards.
    OUT_OF_ORDER = "out_of_order"
    # The run already finished (result received, timed out or superseded).
    RUN_FINISHED = "run_finished"


class ReportProgress(UseCase[GenerationUnitOfWork]):
    """Progress is most of the callbacks (three per episode in the n8n workflow), so the
    usual case is one guarded write (``runs.advance_progress``) and the commit; only a
    report that did not apply reads the run and episode, to say why."""

    def __call__(self, report: ProgressReport) -> ProgressOutcome:
        check_percent(report.percent)
        now = self._clock.now()
        with self._uow(report.organization_id) as uow:
            if uow.runs.advance_progress(report.run_id, report.stage, report.percent, now):
                uow.commit()
                return ProgressOutcome.APPLIED
            run = uow.runs.get(report.run_id)
            if run is None:
                raise NotFoundError("run", report.run_id)
            episode = uow.episodes.get(run.episode_id)
            if not run.is_open or episode is None:
                return ProgressOutcome.RUN_FINISHED
            return ProgressOutcome.OUT_OF_ORDER


@dataclass(frozen=True, slots=True)
class ModelUsage:
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_gbp: Decimal


@dataclass(frozen=True, slots=True)
class GenerationSucceeded:
    organization_id: str
    run_id: str
    title: str
    summary: str
    content: str
    sources: tuple[Source, ...] = ()
    reasoning: str | None = None
    confidence: float | None = None
    usage: tuple[ModelUsage, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class GenerationFailed:
    organization_id: str
    run_id: str
    error: str
    retryable: bool
    # What the generator spent before failing; None when it said nothing about it (a
    # refused webhook POST), which leaves room for a late report from the same run.
    usage: tuple[ModelUsage, ...] | None = None


class ResultOutcome(enum.StrEnum):
    PUBLISHED = "published"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    # The rest change nothing but the usage ledger (see ApplyGenerationResult).
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    EPISODE_FINAL = "episode_final"

    @property
    def applied(self) -> bool:
        return self in (
            ResultOutcome.PUBLISHED,
            ResultOutcome.RETRY_SCHEDULED,
            ResultOutcome.FAILED,
        )


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    item: ScheduleQueueItem
    episode: Episode
    project: Project | None
    run: GenerationRun | None
    error: str
    retryable: bool


def fail_attempt(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    now: datetime,
    policy: RetryPolicy,
    templates: EmailTemplates,
    attempt: FailedAttempt,
) -> ResultOutcome:
    """The one place a failed attempt is decided: retried with backoff, or failed for good.

    n8n's failure callback, a refused webhook POST and an abandoned lease all end
    here, so the reader is told (notification and email with a retry link,
    ``episode_failed`` event) the same way whatever went wrong, and only when the
    episode fails for good: a retried attempt tells nobody.
    """
    record = Recorder(uow, ids, None, now)
    item, episode, error = attempt.item, attempt.episode, attempt.error
    if attempt.run is not None and attempt.run.is_open:
        attempt.run.finish(RunStatus.FAILED, now, error)
        uow.runs.update(attempt.run)
        release_run_reservation(uow, attempt.run.id, now)
        _hand_back_notes(uow, attempt.run, episode.project_id)
    if attempt.retryable:
        will_retry = item.record_failure(error, now, policy)
    else:
        item.fail_permanently(error, now)
        will_retry = False
    uow.queue.update(item)
    episode.record_failed_attempt(error, will_retry, now)
    uow.episodes.update(episode)
    if will_retry:
        return ResultOutcome.RETRY_SCHEDULED
    project = attempt.project
    if project is not None:
        notice = Notice(
            "episode_failed",
            "An episode could not be generated",
            f"{project.title}: {error}",
            link=retry_page(episode.id),
        )
        # The item's claims, not the episode's started runs: a lost job was an attempt too.
        failed = EpisodeFailed(project.title, episode.id, error, item.attempt_count)
        tell_reader(uow, ids, templates, project.created_by, GENERATION_FAILED, notice, failed, now)
    record.event("episode_failed", {"episodeId": episode.id, "error": error})
    return ResultOutcome.FAILED


class ApplyGenerationResult(UseCase[GenerationUnitOfWork]):
    """Publish or fail an episode from its run's result; duplicates change nothing.

    A result that can no longer apply says why: its run was superseded by a newer
    attempt, the episode is already published or failed, or the run already finished
    (a duplicate). It still records the usage it reports, once per run, against that
    run: money the generator really spent is never dropped. The run is held first, so
    of two copies of one result racing each other the second waits, then finds the run
    finished and applies nothing; the ledger also takes each run's usage only once
    (``token_usage.add_for_run``).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory[GenerationUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        policy: RetryPolicy,
        templates: EmailTemplates,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._policy = policy
        self._templates = templates
        self._telemetry = telemetry

    def __call__(self, result: GenerationSucceeded | GenerationFailed) -> ResultOutcome:
        now = self._clock.now()
        with self._uow(result.organization_id) as uow:
            run = uow.runs.get_for_update(result.run_id)
            if run is None:
                raise NotFoundError("run", result.run_id)
            # The run's item, episode and project, read once the run is held.
            slot = uow.runs.slot_of_item(run.queue_item_id)
            item = slot.item if slot is not None else None
            episode = slot.episode if slot is not None else None
            if not run.is_open or episode is None or item is None or episode.is_final:
                outcome = _why_not_applied(uow, run, episode)
                if result.usage is not None and self._record_usage(
                    uow, run, episode, result.usage, now
                ):
                    uow.commit()
                return outcome
            project = slot.project if slot is not None else None
            if isinstance(result, GenerationSucceeded):
                outcome = self._publish(uow, run, episode, item, project, result, now)
                # The ledger and today's budget last: they are the organization's hot rows
                # (every start and every result takes them), so they are held only for
                # the settlement and the commit, not for the publishing before it.
                if not self._record_usage(uow, run, episode, result.usage, now):
                    return ResultOutcome.DUPLICATE  # another copy of this result won
            else:
                # A failure settles its usage before its reservation is released.
                if result.usage is not None and not self._record_usage(
                    uow, run, episode, result.usage, now
                ):
                    return ResultOutcome.DUPLICATE
                failed = FailedAttempt(item, episode, project, run, result.error, result.retryable)
                outcome = fail_attempt(uow, self._ids, now, self._policy, self._templates, failed)
            uow.commit()
        report_attempt(self._telemetry, outcome)
        if outcome is ResultOutcome.PUBLISHED:
            self._telemetry.published(now - item.scheduled_for)
        return outcome

    def _record_usage(
        self,
        uow: GenerationUnitOfWork,
        run: GenerationRun,
        episode: Episode | None,
        usage: Sequence[ModelUsage],
        now: datetime,
    ) -> bool:
        """The run's usage into the ledger, once, and so its reservation settled; False if
        its usage was already recorded."""
        rows = _usage_rows(self._ids, run, episode, usage, now)
        if not uow.token_usage.add_for_run(run.id, rows):
            return False
        settle_run_usage(
            uow, self._ids, self._templates, run.id, (line.cost_gbp for line in usage), now
        )
        return True

    def _publish(
        self,
        uow: GenerationUnitOfWork,
        run: GenerationRun,
        episode: Episode,
        item: ScheduleQueueItem,
        project: Project | None,
        result: GenerationSucceeded,
        now: datetime,
    ) -> ResultOutcome:
        record = Recorder(uow, self._ids, None, now)
        episode.publish(
            title=result.title,
            summary=result.summary,
            sources=list(result.sources),
            reading_minutes=reading_minutes(result.content),
            now=now,
        )
        uow.episodes.update(episode)
        uow.blocks.add(
            Block(
                id=self._ids.new_id("blk"),
                episode_id=episode.id,
                organization_id=episode.organization_id,
                content=result.content,
                reasoning=result.reasoning,
                confidence=result.confidence,
                created_at=now,
                updated_at=now,
            )
        )
        item.complete(now)
        uow.queue.update(item)
        for note in _notes_carried_by(uow, run, episode.project_id):
            note.incorporate(episode.id, now)
            uow.planning_notes.update(note)
            record.event(
                PLANNING_NOTE_INCORPORATED,
                {"planningNoteId": note.id, "episodeId": episode.id, "projectId": note.project_id},
            )
        run.finish(RunStatus.SUCCEEDED, now)
        uow.runs.update(run)
        if project is not None:
            notice = Notice(
                "episode_published",
                f"New episode: {result.title}",
                result.summary,
                link=episode_page(episode.id),
            )
            ready = EpisodeReady(
                project_title=project.title,
                episode_id=episode.id,
                episode_title=result.title,
                summary=result.summary,
                reading_minutes=episode.reading_minutes,
            )
            tell_reader(
                uow,
                self._ids,
                self._templates,
                project.created_by,
                EPISODE_READY,
                notice,
                ready,
                now,
            )
        record.event(EPISODE_PUBLISHED, {"episodeId": episode.id, "projectId": episode.project_id})
        return ResultOutcome.PUBLISHED


def report_attempt(telemetry: Telemetry, outcome: ResultOutcome) -> None:
    """An applied result ended its attempt; one that changed nothing ended none."""
    if outcome.applied:
        telemetry.attempt_ended(AttemptOutcome(outcome.value))


def tell_reader(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    user_id: str,
    kind: NotificationKind,
    notice: Notice,
    email: Email,
    now: datetime,
) -> None:
    """In the transaction of the change it reports, as the reader chose (core/notifications):
    the email goes into the outbox, so it exists exactly when the change does and is
    delivered afterwards (a mail outage never undoes the change, and a crash after the
    commit loses no email). A reader with no address gets the in-app notification only."""
    reader = uow.users.get(user_id)
    address = reader.email if reader is not None and reader.email else None
    tell(uow, ids, templates, Reader(user_id, address), kind, notice, email, now)


def _why_not_applied(
    uow: GenerationUnitOfWork, run: GenerationRun, episode: Episode | None
) -> ResultOutcome:
    """Read only for results that cannot apply, so the usual path costs no extra query."""
    latest = uow.runs.latest_for_episode(run.episode_id)
    if latest is not None and latest.id != run.id:
        return ResultOutcome.SUPERSEDED
    if episode is None or episode.status in (EpisodeStatus.PUBLISHED, EpisodeStatus.FAILED):
        return ResultOutcome.EPISODE_FINAL
    return ResultOutcome.DUPLICATE


def _usage_rows(
    ids: IdGenerator,
    run: GenerationRun,
    episode: Episode | None,
    usage: Sequence[ModelUsage],
    now: datetime,
) -> list[TokenUsage]:
    return [
        TokenUsage(
            id=ids.new_id("usage"),
            organization_id=run.organization_id,
            project_id=episode.project_id if episode is not None else None,
            episode_id=run.episode_id,
            operation=Operation.EPISODE_GENERATION,
            model=line.model,
            prompt_tokens=line.prompt_tokens,
            completion_tokens=line.completion_tokens,
            cost_gbp=line.cost_gbp,
            created_at=now,
            run_id=run.id,
        )
        for line in usage
    ]


@dataclass(frozen=True, slots=True)
class EpisodeDetail:
    """An episode with its content blocks, in reading order: what a reader opens."""

    episode: Episode
    blocks: tuple[Block, ...]


class GetEpisode(UseCase[GenerationUnitOfWork]):
    """A reader opening a published episode is recorded (``episode_opened``), and the first
    time that reader opens one, ``first_episode_opened`` too: once per user, even when two
    opens race. The loser of that race is refused at commit by the unique index (a
    ``DuplicateError``) and opens again, now seeing the winner's event."""

    def __call__(self, command: EpisodeCommand) -> EpisodeDetail:
        try:
            return self._open(command)
        except DuplicateError:
            return self._open(command)

    def _open(self, command: EpisodeCommand) -> EpisodeDetail:
        actor = command.actor
        with self._uow(actor.organization_id) as uow:
            episode, _ = load_episode_and_project(uow, command.episode_id)
            detail = EpisodeDetail(episode, tuple(uow.blocks.list_for_episode(episode.id)))
            record = Recorder(uow, self._ids, actor.user_id, self._clock.now())
            if record_opening(uow, record, actor.user_id, episode):
                uow.commit()
            return detail


def record_opening(
    uow: GenerationUnitOfWork, record: Recorder, reader_id: str, episode: Episode
) -> bool:
    """Record a reader opening ``episode`` if it is published (a draft polled while it is
    written is not read yet); True if anything was recorded, for the caller to commit.

    The first opening by a reader is recorded once: of two racing, the loser is refused at
    commit by the unique index (a ``DuplicateError``), and the caller opens again."""
    if episode.status is not EpisodeStatus.PUBLISHED:
        return False
    opened = {"episodeId": episode.id, "projectId": episode.project_id}
    record.event(EPISODE_OPENED, opened)
    if not uow.events.recorded_for_user(FIRST_EPISODE_OPENED, reader_id):
        record.event(FIRST_EPISODE_OPENED, opened)
    return True


class GetEpisodeStatus(UseCase[GenerationUnitOfWork]):
    """Status, stage, percent and errors only: front ends poll it while a brief is written,
    so it reads the episode row (and its project, for the tenant and soft-delete check)
    and never the blocks."""

    def __call__(self, command: EpisodeCommand) -> Episode:
        with self._uow(command.actor.organization_id) as uow:
            episode, _ = load_episode_and_project(uow, command.episode_id)
            return episode
