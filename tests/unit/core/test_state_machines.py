"""Guarded state machines: episodes, queue items, planning notes, runs and projects.

Random sequences of operations are replayed against a small model written here
from the documented transition tables. Every step checks the whole object: an
illegal step raises ``StateConflictError`` and changes nothing, a legal one lands
exactly on the state the model predicts.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.episodes.episode import Episode, EpisodeStatus, GenerationStage, Source
from manyfutures.core.feedback.model import MAX_NOTE_LENGTH, PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.scheduling.leases import Expiry, Leases
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import (
    StateConflictError,
    ValidationError,
    VersionConflictError,
)
from tests.support import builders
from tests.support.builders import T0

POLICY = RetryPolicy()
DAY_START = T0.replace(hour=0, minute=0)  # the blocking day's start, before every item's slot
steps = st.integers(min_value=0, max_value=900)  # seconds the clock moves before an operation

# ------------------------------------------------------------------------------ episode

E = EpisodeStatus
EPISODE_MOVES = {
    E.DRAFT: {E.GENERATING, E.FAILED},
    E.GENERATING: {E.PUBLISHED, E.FAILED, E.DRAFT},
    E.FAILED: {E.DRAFT},
    E.PUBLISHED: set(),
}
STAGE_RANK = {GenerationStage.RESEARCH: 0, GenerationStage.WRITING: 1, GenerationStage.REVIEW: 2}

episode_ops = st.one_of(
    st.tuples(st.just("start")),
    st.tuples(
        st.just("progress"),
        st.sampled_from(list(GenerationStage)),
        st.one_of(st.integers(0, 100), st.integers(-3, 103)),
    ),
    st.tuples(st.just("publish"), st.integers(1, 30)),
    st.tuples(st.just("fail"), st.booleans()),
    st.tuples(st.just("reset")),
)


def episode_expectation(before: Episode, op: tuple[Any, ...], now: datetime) -> tuple[str, Any]:
    """("raises", error type) or ("ok", (expected episode, expected return value))."""
    after = copy.deepcopy(before)
    kind = op[0]
    if kind == "progress":
        _, stage, percent = op
        if not 0 <= percent <= 100:
            return "raises", ValidationError
        if before.status is not E.GENERATING:
            return "ok", (after, False)
        current = (
            STAGE_RANK[before.progress_stage] if before.progress_stage else -1,
            before.progress_percent,
        )
        if (STAGE_RANK[stage], percent) <= current:
            return "ok", (after, False)
        after.progress_stage, after.progress_percent, after.updated_at = stage, percent, now
        return "ok", (after, True)

    target = {
        "start": E.GENERATING,
        "publish": E.PUBLISHED,
        "fail": (E.DRAFT if op[-1] else E.FAILED),
        "reset": E.DRAFT,
    }[kind]
    if target not in EPISODE_MOVES[before.status]:
        return "raises", StateConflictError
    # Guards beyond the table: a failed attempt needs a running or waiting generation,
    # and only a FAILED episode is retried by hand.
    if kind == "fail" and before.status not in (E.GENERATING, E.DRAFT):
        return "raises", StateConflictError
    if kind == "reset" and before.status is not E.FAILED:
        return "raises", StateConflictError
    after.status, after.updated_at = target, now
    if kind == "start":
        after.generation_attempts += 1
        after.progress_stage, after.progress_percent = GenerationStage.RESEARCH, 0
    elif kind == "publish":
        after.title, after.summary = "Title", "Summary"
        after.sources = [Source("Grid report", "https://example.com/grid")]
        after.reading_minutes, after.published_at = op[1], now
        after.progress_stage, after.progress_percent = GenerationStage.REVIEW, 100
    elif kind == "fail":
        after.generation_errors.append("boom")
        after.progress_stage, after.progress_percent = None, 0
    return "ok", (after, None)


def apply_episode(episode: Episode, op: tuple[Any, ...], now: datetime) -> Any:
    kind = op[0]
    if kind == "start":
        return episode.start_generation(now)
    if kind == "progress":
        return episode.report_progress(op[1], op[2], now)
    if kind == "publish":
        return episode.publish(
            title="Title",
            summary="Summary",
            sources=[Source("Grid report", "https://example.com/grid")],
            reading_minutes=op[1],
            now=now,
        )
    if kind == "fail":
        return episode.record_failed_attempt("boom", will_retry=op[1], now=now)
    return episode.reset_for_retry(now)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(episode_ops, steps), max_size=25))
def test_episode_follows_its_transition_table(ops: list[tuple[tuple[Any, ...], int]]) -> None:
    episode = builders.episode()
    now = T0
    for op, seconds in ops:
        now += timedelta(seconds=seconds)
        before = copy.deepcopy(episode)
        outcome, detail = episode_expectation(before, op, now)
        if outcome == "raises":
            with pytest.raises(detail):
                apply_episode(episode, op, now)
            assert episode == before
        else:
            expected, returned = detail
            assert apply_episode(episode, op, now) == returned
            assert episode == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(GenerationStage)), st.integers(0, 100))))
def test_progress_never_moves_backwards(reports: list[tuple[GenerationStage, int]]) -> None:
    episode = builders.episode()
    episode.start_generation(T0)
    seen = [(0, 0)]
    for stage, percent in reports:
        episode.report_progress(stage, percent, T0)
        assert episode.progress_stage is not None
        seen.append((STAGE_RANK[episode.progress_stage], episode.progress_percent))
    assert seen == sorted(seen)
    highest = max([(STAGE_RANK[s], p) for s, p in reports], default=(0, 0))
    assert seen[-1] == max(highest, (0, 0))


def test_episode_happy_path_and_retry() -> None:
    episode = builders.episode()
    episode.start_generation(T0)
    assert (episode.status, episode.generation_attempts) == (E.GENERATING, 1)
    assert episode.report_progress(GenerationStage.WRITING, 40, T0) is True
    assert episode.report_progress(GenerationStage.RESEARCH, 90, T0) is False
    assert episode.report_progress(GenerationStage.WRITING, 40, T0) is False
    assert (episode.progress_stage, episode.progress_percent) == (GenerationStage.WRITING, 40)
    episode.record_failed_attempt("timeout", will_retry=True, now=T0)
    assert (episode.status, episode.generation_errors) == (E.DRAFT, ["timeout"])
    episode.start_generation(T0)
    episode.publish(title="T", summary="S", sources=[], reading_minutes=3, now=T0)
    assert episode.status is E.PUBLISHED
    assert episode.is_final
    assert episode.generation_attempts == 2


def test_failed_attempt_on_a_published_episode_changes_nothing() -> None:
    episode = builders.episode()
    episode.start_generation(T0)
    episode.publish(title="T", summary="S", sources=[], reading_minutes=3, now=T0)
    before = copy.deepcopy(episode)
    with pytest.raises(StateConflictError):
        episode.record_failed_attempt("late", will_retry=False, now=T0 + timedelta(hours=1))
    assert episode == before
    assert episode.generation_errors == []


# --------------------------------------------------------------------------- queue item

Q = QueueStatus
QUEUE_MOVES = {
    Q.PENDING: {Q.PROCESSING, Q.CANCELLED, Q.BLOCKED},
    Q.PROCESSING: {Q.COMPLETED, Q.FAILED, Q.PENDING, Q.PROCESSING, Q.CANCELLED, Q.BLOCKED},
    Q.BLOCKED: {Q.PENDING, Q.CANCELLED},
    Q.COMPLETED: set(),
    Q.FAILED: set(),
    Q.CANCELLED: set(),
}

# Claims and failures weigh more, so sequences reach the third attempt before a
# terminal operation ends them.
QUEUE_OP_NAMES = [
    *["claim", "record_failure"] * 4,
    *["open_run"] * 2,
    *["complete", "fail_permanently", "cancel", "reschedule", "block", "unblock"],
    "refuse_unstarted",
]
queue_ops = st.tuples(
    st.sampled_from(QUEUE_OP_NAMES), st.integers(1, 1_800), st.integers(-3_600, 86_400)
)


def backoff_seconds(attempt: int) -> int:
    return 300 if attempt >= 9 else min(2**attempt, 300)


def queue_expectation(
    before: ScheduleQueueItem, op: tuple[Any, ...], now: datetime
) -> tuple[bool, ScheduleQueueItem, Any]:
    """(legal?, expected item, expected return value) for ``(name, lease s, slot offset s)``."""
    after = copy.deepcopy(before)
    kind = op[0]
    if kind == "reschedule":
        if before.status is not Q.PENDING or before.attempt_count:
            return False, before, None
        after.scheduled_for = after.available_at = T0 + timedelta(seconds=op[2])
        return True, after, None
    if kind == "open_run":
        if before.status is not Q.PROCESSING:
            return False, before, None
        after.run_opened_at = now
        after.lease_expires_at = now + timedelta(seconds=op[1])
        return True, after, None
    retrying = before.attempt_count < 3
    target = {
        "claim": Q.PROCESSING,
        "complete": Q.COMPLETED,
        "record_failure": Q.PENDING if retrying else Q.FAILED,
        "fail_permanently": Q.FAILED,
        "cancel": Q.CANCELLED,
        "block": Q.BLOCKED,
        "refuse_unstarted": Q.BLOCKED,
        "unblock": Q.PENDING,
    }[kind]
    if target not in QUEUE_MOVES[before.status]:
        return False, before, None
    # Guards beyond the table: only a running attempt can fail and be retried, and only
    # a blocked item can be unblocked.
    if kind == "record_failure" and before.status is not Q.PROCESSING:
        return False, before, None
    if kind == "unblock" and before.status is not Q.BLOCKED:
        return False, before, None
    # Only a waiting item is blocked by the breaker; one claimed is refused by the gate
    # before its run opens, and then gets back the attempt its claim counted.
    if kind == "block" and before.status is not Q.PENDING:
        return False, before, None
    if kind == "refuse_unstarted" and (
        before.status is not Q.PROCESSING or before.run_opened_at is not None
    ):
        return False, before, None
    after.status = target
    returned = None
    if kind == "claim":
        after.attempt_count += 1
        after.picked_up_at = after.last_attempt_at = now
        after.lease_expires_at = now + timedelta(seconds=op[1])
        after.run_opened_at = None
    elif kind == "complete":
        after.completed_at, after.lease_expires_at = now, None
    elif kind in {"record_failure", "fail_permanently"}:
        after.last_error, after.lease_expires_at = "boom", None
        if target is Q.PENDING:
            after.available_at = now + timedelta(seconds=backoff_seconds(before.attempt_count))
        else:
            after.completed_at = now
        if kind == "record_failure":
            returned = target is Q.PENDING
    elif kind == "block":
        after.last_error = "over budget"
    elif kind == "refuse_unstarted":
        after.attempt_count -= 1
        after.last_error, after.lease_expires_at = "Daily limit exceeded", None
    return True, after, returned


def apply_queue(item: ScheduleQueueItem, op: tuple[Any, ...], now: datetime) -> Any:
    kind = op[0]
    if kind == "claim":
        return item.claim(now, timedelta(seconds=op[1]))
    if kind == "open_run":
        return item.open_run(now, timedelta(seconds=op[1]))
    if kind == "complete":
        return item.complete(now)
    if kind == "record_failure":
        return item.record_failure("boom", now, POLICY)
    if kind == "fail_permanently":
        return item.fail_permanently("boom", now)
    if kind == "cancel":
        return item.cancel()
    if kind == "reschedule":
        return item.reschedule(T0 + timedelta(seconds=op[2]))
    if kind == "block":
        return item.block("over budget", DAY_START)
    if kind == "refuse_unstarted":
        return item.refuse_unstarted("Daily limit exceeded", DAY_START)
    return item.unblock()


def expected_expiry(item: ScheduleQueueItem, now: datetime) -> Expiry:
    """The two clocks: a start lease (no run opened) or the generation deadline (run opened)."""
    expired = item.lease_expires_at is not None and item.lease_expires_at <= now
    if item.status is not Q.PROCESSING or not expired:
        return Expiry.NONE
    if item.run_opened_at is not None:
        return Expiry.DEADLINE
    return Expiry.RECLAIM if item.attempt_count < 3 else Expiry.JOB_LOST


def expected_claimable(item: ScheduleQueueItem, now: datetime) -> bool:
    """Due with attempts left, or its job lost before opening a run; a run past its
    deadline must fail (with backoff) before it can be claimed again."""
    if item.status is Q.PENDING:
        return item.attempt_count < 3 and item.available_at <= now
    return expected_expiry(item, now) is Expiry.RECLAIM


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(queue_ops, steps), max_size=30),
    st.lists(st.integers(-86_400, 86_400), min_size=1, max_size=4),
)
def test_queue_item_follows_its_transition_table(
    ops: list[tuple[tuple[Any, ...], int]], probes: list[int]
) -> None:
    item = builders.queue_item(slot=T0)
    now = T0
    for op, seconds in ops:
        now += timedelta(seconds=seconds)
        before = copy.deepcopy(item)
        legal, expected, returned = queue_expectation(before, op, now)
        if legal:
            assert apply_queue(item, op, now) == returned
        else:
            with pytest.raises(StateConflictError):
                apply_queue(item, op, now)
        assert item == expected
        for offset in probes:
            probe = now + timedelta(seconds=offset)
            assert item.claimable(probe, POLICY) is expected_claimable(item, probe)
            assert item.expiry(probe, POLICY) is expected_expiry(item, probe)


def test_claim_starts_an_attempt_with_a_lease() -> None:
    item = builders.queue_item(slot=T0)
    assert item.claimable(T0, POLICY)
    assert not item.claimable(T0 - timedelta(seconds=1), POLICY)
    item.claim(T0, timedelta(minutes=10))
    assert (item.status, item.attempt_count) == (Q.PROCESSING, 1)
    assert item.lease_expires_at == T0 + timedelta(minutes=10)
    assert item.picked_up_at == item.last_attempt_at == T0
    # Held by a live worker until the lease runs out, then reclaimable.
    assert not item.claimable(T0 + timedelta(minutes=9), POLICY)
    assert item.claimable(T0 + timedelta(minutes=10), POLICY)


@settings(max_examples=300)
@given(
    st.integers(1, 3_600),
    st.integers(1, 36_000),
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(0, 7_200)),
    st.integers(-1, 40_000),
)
def test_an_attempt_is_held_by_its_start_lease_then_by_its_deadline(
    start: int, deadline: int, earlier_attempts: int, opens_after: int | None, probe: int
) -> None:
    """Claimed at T0: held until the start lease ends unless its job opens the run, then
    held until the deadline counted from the opening. When a clock runs out, a lost job
    is claimed again while attempts remain, and anything else goes to recovery."""
    leases = Leases.from_seconds(start, deadline)
    item = builders.queue_item(slot=T0, attempt_count=earlier_attempts)
    item.claim(T0, leases.start)
    # A job opens its run, if it does, while its start lease still holds.
    opened = opens_after is not None and opens_after < start
    held_until = T0 + leases.start
    if opens_after is not None and opened:
        opened_at = T0 + timedelta(seconds=opens_after)
        item.open_run(opened_at, leases.deadline)
        held_until = opened_at + leases.deadline
    now = T0 + timedelta(seconds=probe)
    expiry = item.expiry(now, POLICY)
    if now < held_until:
        assert expiry is Expiry.NONE
        assert not item.claimable(now, POLICY)
    elif opened:
        assert (expiry, item.claimable(now, POLICY)) == (Expiry.DEADLINE, False)
    elif earlier_attempts + 1 < POLICY.max_attempts:
        assert (expiry, item.claimable(now, POLICY)) == (Expiry.RECLAIM, True)
    else:
        assert (expiry, item.claimable(now, POLICY)) == (Expiry.JOB_LOST, False)
    assert expiry.needs_recovery is (expiry in {Expiry.DEADLINE, Expiry.JOB_LOST})


@pytest.mark.parametrize(("start", "deadline"), [(0, 600), (60, 0), (-1, 600)])
def test_leases_must_be_positive(start: float, deadline: float) -> None:
    with pytest.raises(ValidationError):
        Leases.from_seconds(start, deadline)


def test_failures_retry_with_backoff_then_fail_after_three_attempts() -> None:
    item = builders.queue_item(slot=T0)
    now = T0
    waits = []
    for _ in range(2):
        item.claim(now, timedelta(minutes=5))
        assert item.record_failure("boom", now, POLICY) is True
        assert item.status is Q.PENDING
        waits.append(item.available_at - now)
        now = item.available_at
    assert waits == [timedelta(seconds=2), timedelta(seconds=4)]
    item.claim(now, timedelta(minutes=5))
    assert item.record_failure("boom", now, POLICY) is False
    assert (item.status, item.attempt_count, item.completed_at) == (Q.FAILED, 3, now)
    assert not item.claimable(now + timedelta(days=1), POLICY)


def test_record_failure_on_a_pending_item_changes_nothing() -> None:
    item = builders.queue_item(slot=T0)
    before = copy.deepcopy(item)
    with pytest.raises(StateConflictError):
        item.record_failure("late", T0 + timedelta(hours=1), POLICY)
    assert item == before
    assert item.last_error is None


def test_a_started_slot_cannot_be_rescheduled() -> None:
    item = builders.queue_item(slot=T0)
    item.reschedule(T0 + timedelta(days=1))
    assert item.scheduled_for == item.available_at == T0 + timedelta(days=1)
    item.claim(T0 + timedelta(days=1), timedelta(minutes=5))
    item.record_failure("boom", T0 + timedelta(days=1), POLICY)
    with pytest.raises(StateConflictError):
        item.reschedule(T0 + timedelta(days=2))
    assert item.scheduled_for == T0 + timedelta(days=1)


# ------------------------------------------------------------------------ planning note


PENDING, SENT, INCORPORATED, ARCHIVED = (
    PlanningNoteStatus.PENDING,
    PlanningNoteStatus.SENT,
    PlanningNoteStatus.INCORPORATED,
    PlanningNoteStatus.ARCHIVED,
)
# (status before, operation) -> status after; every pair not listed is refused.
NOTE_MOVES = {
    (PENDING, "send"): SENT,
    (SENT, "hand_back"): PENDING,
    (SENT, "incorporate"): INCORPORATED,
    (PENDING, "archive"): ARCHIVED,
    (SENT, "archive"): ARCHIVED,
    (PENDING, "edit"): PENDING,
}


def _apply(note: PlanningNote, op: str, now: datetime) -> None:
    if op == "send":
        note.send("ep_sent")
    elif op == "hand_back":
        note.return_to_pending()
    elif op == "incorporate":
        note.incorporate("ep_sent", now)
    elif op == "archive":
        note.archive(now)
    else:
        note.edit(f"edited at {now:%H:%M}")


@settings(max_examples=200)
@given(
    st.lists(st.sampled_from(["send", "hand_back", "incorporate", "archive", "edit"]), max_size=8)
)
def test_a_planning_note_moves_only_along_its_lifecycle(ops: list[str]) -> None:
    """pending → sent → incorporated, sent → pending (its run failed), pending or sent →
    archived, edits only while pending; any other move is refused and changes nothing."""
    note = builders.planning_note()
    for index, op in enumerate(ops):
        now = T0 + timedelta(minutes=index + 1)
        expected = NOTE_MOVES.get((note.status, op))
        before = copy.deepcopy(note)
        if expected is None:
            with pytest.raises(StateConflictError):
                _apply(note, op, now)
            assert note == before
            continue
        _apply(note, op, now)
        assert note.status is expected
        # Sent or incorporated: the episode it went to. Pending: none. Archived: kept.
        if expected in (SENT, INCORPORATED):
            assert note.episode_id == "ep_sent"
        elif expected is PENDING:
            assert note.episode_id is None
        else:
            assert note.episode_id == before.episode_id
        assert note.processed_at == (
            now if expected in (INCORPORATED, ARCHIVED) else before.processed_at
        )
        assert (note.note != before.note) == (op == "edit")


@settings(max_examples=200)
@given(st.text(max_size=MAX_NOTE_LENGTH + 50))
def test_planning_note_text_is_stripped_and_bounded(text: str) -> None:
    stripped = text.strip()
    if stripped and len(stripped) <= MAX_NOTE_LENGTH:
        assert PlanningNote.validate_text(text) == stripped
    else:
        with pytest.raises(ValidationError) as raised:
            PlanningNote.validate_text(text)
        assert set(raised.value.field_errors) == {"note"}


def test_planning_note_text_limits() -> None:
    assert PlanningNote.validate_text("  x  ") == "x"
    assert len(PlanningNote.validate_text("a" * MAX_NOTE_LENGTH)) == MAX_NOTE_LENGTH
    for bad in ["", "   \n", "a" * (MAX_NOTE_LENGTH + 1)]:
        with pytest.raises(ValidationError):
            PlanningNote.validate_text(bad)


# ------------------------------------------------------------------------ generation run


@settings(max_examples=50)
@given(
    st.sampled_from([RunStatus.SUCCEEDED, RunStatus.FAILED]),
    st.sampled_from([RunStatus.SUCCEEDED, RunStatus.FAILED]),
    st.one_of(st.none(), st.text(max_size=20)),
)
def test_a_run_finishes_once(first: RunStatus, second: RunStatus, error: str | None) -> None:
    run = builders.generation_run()
    assert run.is_open
    run.finish(first, T0 + timedelta(minutes=1), error)
    assert (run.status, run.error, run.finished_at) == (first, error, T0 + timedelta(minutes=1))
    assert not run.is_open
    before = copy.deepcopy(run)
    with pytest.raises(StateConflictError):
        run.finish(second, T0 + timedelta(minutes=2), "late")
    assert run == before


def test_a_run_cannot_finish_as_running() -> None:
    run = builders.generation_run()
    before = copy.deepcopy(run)
    with pytest.raises(ValidationError):
        run.finish(RunStatus.RUNNING, T0 + timedelta(minutes=1))
    assert run == before


# ------------------------------------------------------------------------------ project

project_ops = st.sampled_from(["pause", "resume", "archive", "delete"])


def apply_project(project: Project, op: str, now: datetime) -> None:
    if op == "delete":
        project.soft_delete("user_2", now)
    else:
        getattr(project, op)(now)


@settings(max_examples=200)
@given(st.lists(project_ops, max_size=12))
def test_project_pause_resume_archive_and_delete(ops: list[str]) -> None:
    project = builders.project()
    for index, op in enumerate(ops):
        now = T0 + timedelta(minutes=index + 1)
        before = copy.deepcopy(project)
        legal = {
            "pause": before.status is ProjectStatus.ACTIVE,
            "resume": before.status is ProjectStatus.PAUSED,
            "archive": before.status is not ProjectStatus.ARCHIVED,
            "delete": not before.is_deleted,
        }[op]
        if not legal:
            with pytest.raises(StateConflictError):
                apply_project(project, op, now)
            assert project == before
            continue
        apply_project(project, op, now)
        assert project.version == before.version + 1
        assert project.updated_at == now
        assert (
            project.status
            is {
                "pause": ProjectStatus.PAUSED,
                "resume": ProjectStatus.ACTIVE,
                "archive": ProjectStatus.ARCHIVED,
                "delete": ProjectStatus.ARCHIVED,
            }[op]
        )
        if op in {"pause", "archive", "delete"}:
            assert project.next_scheduled_at is None
        if op == "delete":
            assert (project.deleted_at, project.deleted_by) == (now, "user_2")
            assert project.is_deleted


def test_project_version_check() -> None:
    project = builders.project()
    project.check_version(None)
    project.check_version(1)
    project.pause(T0)
    with pytest.raises(VersionConflictError) as raised:
        project.check_version(1)
    assert (raised.value.expected, raised.value.actual) == (1, 2)
