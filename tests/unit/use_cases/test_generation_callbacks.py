"""The generator's callbacks: authenticated by the run's token, applied once, usage never lost."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage
from manyfutures.core.generation.callback_token import hash_callback_token
from manyfutures.core.generation.callbacks import (
    CallbackRefusedError,
    EpisodeWritten,
    GenerationCallback,
    GenerationGaveUp,
    ProgressMade,
    ReportedUsage,
)
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    ProgressOutcome,
    ResultOutcome,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Actor, Role
from tests.support.builders import T0
from tests.support.wrapped import Wrapped, WrappedUnitOfWork
from tests.unit.use_cases.conftest import DEADLINE, Harness
from tests.unit.use_cases.test_generation_pipeline import CONTENT, queue_item_for

SPENT = ReportedUsage("gpt-4o", 1000, 500, Decimal("0.25"))
PAST_ANY_BACKOFF = timedelta(minutes=5)


def started(harness: Harness, actor: Actor) -> tuple[str, str]:
    """A project due now, claimed and started: its run id and callback token."""
    harness.create_project(CreateProjectCommand(actor, "Energy", "Grid", deliver_first_now=True))
    harness.tick()
    harness.run_dispatched()
    request = harness.generator.requests[-1]
    return request.run_id, request.callback_token


def time_out_and_retry(harness: Harness) -> tuple[str, str]:
    """The open run passes its deadline: recovery fails it, and after the backoff the next
    attempt starts."""
    harness.clock.advance(DEADLINE)
    assert harness.tick().items_failed == 1
    return retry_next_attempt(harness, PAST_ANY_BACKOFF)


def written(usage: tuple[ReportedUsage, ...] = (SPENT,)) -> EpisodeWritten:
    return EpisodeWritten("Grid week", "Summary", CONTENT, usage=usage)


def spent_today(harness: Harness) -> Decimal:
    with harness.uow() as uow:
        daily = uow.token_usage.daily(T0.date())
        return daily.total_cost_gbp if daily is not None else Decimal("0")


def retry_next_attempt(harness: Harness, delay: timedelta) -> tuple[str, str]:
    harness.clock.advance(delay)
    assert harness.tick().items_dispatched == 1
    harness.run_dispatched()
    request = harness.generator.requests[-1]
    return request.run_id, request.callback_token


class TestTheRunsToken:
    def test_each_run_gets_a_fresh_token_and_keeps_only_its_hash(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id, token = started(harness, alice)
        assert len(token) >= 43  # 256 bits, URL-safe base64
        _, _, run = queue_item_for(harness, run_id)
        assert run.callback_token_hash == hash_callback_token(token)
        assert token not in (run.callback_token_hash or "")
        harness.apply_result(GenerationFailed("org_a", run_id, "boom", retryable=True))
        second_run, second_token = retry_next_attempt(harness, timedelta(seconds=2))
        assert second_run != run_id
        assert second_token != token

    def test_the_request_carries_the_configured_cost_ceiling(
        self, harness: Harness, alice: Actor
    ) -> None:
        started(harness, alice)
        assert harness.generator.requests[-1].max_cost_gbp == Decimal("1.50")


class TestRefusals:
    @pytest.mark.parametrize("token", ["", "not-the-token", "x" * 43])
    def test_a_wrong_token_is_refused_and_changes_nothing(
        self, harness: Harness, alice: Actor, token: str
    ) -> None:
        run_id, _ = started(harness, alice)
        with pytest.raises(CallbackRefusedError):
            harness.receive_callback(GenerationCallback(run_id, token, written()))
        _, episode, run = queue_item_for(harness, run_id)
        assert (episode.status, run.is_open) == (EpisodeStatus.GENERATING, True)
        assert spent_today(harness) == 0

    def test_an_unknown_run_is_refused_like_a_wrong_token(
        self, harness: Harness, alice: Actor
    ) -> None:
        _, token = started(harness, alice)
        with pytest.raises(CallbackRefusedError) as refused:
            harness.receive_callback(GenerationCallback("run_unknown", token, written()))
        assert str(refused.value) == "unknown run or wrong callback token"

    def test_a_token_works_only_for_its_own_run(
        self, harness: Harness, alice: Actor, bob: Actor
    ) -> None:
        alice_run, _ = started(harness, alice)
        _, bob_token = started(harness, bob)
        with pytest.raises(CallbackRefusedError):
            harness.receive_callback(GenerationCallback(alice_run, bob_token, written()))


class TestApplying:
    def test_progress_then_completion_publish_in_the_runs_organization(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id, token = started(harness, alice)
        receipt = harness.receive_callback(
            GenerationCallback(run_id, token, ProgressMade(GenerationStage.WRITING, 40))
        )
        assert (receipt.outcome, receipt.applied) == (ProgressOutcome.APPLIED, True)
        stale = harness.receive_callback(
            GenerationCallback(run_id, token, ProgressMade(GenerationStage.RESEARCH, 90))
        )
        assert (stale.outcome, stale.applied) == (ProgressOutcome.OUT_OF_ORDER, False)
        published = harness.receive_callback(GenerationCallback(run_id, token, written()))
        assert (published.outcome, published.applied) == (ResultOutcome.PUBLISHED, True)
        _, episode, _ = queue_item_for(harness, run_id)
        assert episode.status is EpisodeStatus.PUBLISHED
        assert spent_today(harness) == Decimal("0.25")

    def test_a_retryable_failure_records_its_usage_and_backs_off(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id, token = started(harness, alice)
        gave_up = GenerationGaveUp("Writer agent timed out", retryable=True, usage=(SPENT,))
        receipt = harness.receive_callback(GenerationCallback(run_id, token, gave_up))
        assert receipt.outcome is ResultOutcome.RETRY_SCHEDULED
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.status, episode.status) == (QueueStatus.PENDING, EpisodeStatus.DRAFT)
        assert episode.generation_errors == ["Writer agent timed out"]
        assert spent_today(harness) == Decimal("0.25")

    def test_a_failure_that_is_not_retryable_is_final_with_a_retry_link(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id, token = started(harness, alice)
        over = GenerationGaveUp("next step could pass maxCostGbp", retryable=False, usage=())
        receipt = harness.receive_callback(GenerationCallback(run_id, token, over))
        assert receipt.outcome is ResultOutcome.FAILED
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.status, episode.status) == (QueueStatus.FAILED, EpisodeStatus.FAILED)
        with harness.uow() as uow:
            (notification,) = uow.notifications.list_for_user(alice.user_id)
            assert notification.link == f"/episodes/{episode.id}/retry"
            assert len(uow.events.list("episode_failed")) == 1


class TestLateAndDuplicateCallbacks:
    def test_a_duplicate_completion_publishes_nothing_and_spends_nothing_more(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id, token = started(harness, alice)
        harness.receive_callback(GenerationCallback(run_id, token, written()))
        again = harness.receive_callback(GenerationCallback(run_id, token, written()))
        assert (again.outcome, again.applied) == (ResultOutcome.EPISODE_FINAL, False)
        _, episode, _ = queue_item_for(harness, run_id)
        with harness.uow() as uow:
            assert len(uow.blocks.list_for_episode(episode.id)) == 1
            assert len(uow.notifications.list_for_user(alice.user_id)) == 1
        assert spent_today(harness) == Decimal("0.25")

    def test_a_duplicate_failure_is_recorded_once(self, harness: Harness, alice: Actor) -> None:
        run_id, token = started(harness, alice)
        gave_up = GenerationGaveUp("boom", retryable=True, usage=(SPENT,))
        harness.receive_callback(GenerationCallback(run_id, token, gave_up))
        again = harness.receive_callback(GenerationCallback(run_id, token, gave_up))
        assert again.outcome is ResultOutcome.DUPLICATE
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.attempt_count, episode.generation_errors) == (1, ["boom"])
        assert spent_today(harness) == Decimal("0.25")

    def test_a_late_completion_after_a_retry_started_is_superseded_but_its_usage_counts_once(
        self, harness: Harness, alice: Actor
    ) -> None:
        first_run, first_token = started(harness, alice)
        second_run, second_token = time_out_and_retry(harness)
        late = GenerationCallback(first_run, first_token, written())
        for _ in range(2):
            receipt = harness.receive_callback(late)
            assert (receipt.outcome, receipt.applied) == (ResultOutcome.SUPERSEDED, False)
        _, episode, _ = queue_item_for(harness, second_run)
        assert episode.status is EpisodeStatus.GENERATING
        assert spent_today(harness) == Decimal("0.25")
        harness.receive_callback(GenerationCallback(second_run, second_token, written()))
        assert spent_today(harness) == Decimal("0.50")

    def test_late_progress_from_a_superseded_run_moves_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        first_run, first_token = started(harness, alice)
        second_run, _ = time_out_and_retry(harness)
        receipt = harness.receive_callback(
            GenerationCallback(first_run, first_token, ProgressMade(GenerationStage.REVIEW, 90))
        )
        assert receipt.outcome is ProgressOutcome.RUN_FINISHED
        _, episode, _ = queue_item_for(harness, second_run)
        assert (episode.progress_stage, episode.progress_percent) == (GenerationStage.RESEARCH, 0)

    def test_a_run_whose_post_timed_out_can_still_report_what_it_spent(
        self, harness: Harness, alice: Actor
    ) -> None:
        """n8n may have accepted a job whose answer we never read: its money still counts."""
        harness.generator.refuse_with = "read timed out"
        run_id, token = started(harness, alice)
        receipt = harness.receive_callback(GenerationCallback(run_id, token, written()))
        assert receipt.outcome is ResultOutcome.DUPLICATE
        assert spent_today(harness) == Decimal("0.25")


class _PausingRuns(Wrapped):
    """A runs repository that, in the thread that armed it, stops until released: after a
    progress report's guarded write, before its commit (a progress report in flight,
    holding the run), or after a start job read the item's episode (a job caught between
    reading the episode and writing it)."""

    def __init__(self, inner: Any, gate: _Gate) -> None:
        super().__init__(inner)
        self._gate = gate

    def slot_of_item(self, queue_item_id: str) -> Any:
        slot = self._inner.slot_of_item(queue_item_id)
        self._gate.pause_here()
        return slot

    def advance_progress(self, *args: Any) -> bool:
        moved: bool = self._inner.advance_progress(*args)
        self._gate.pause_here()
        return moved


class _Gate:
    def __init__(self) -> None:
        self.armed_thread: int | None = None
        self.reached, self.go_on = threading.Event(), threading.Event()

    def pause_here(self) -> None:
        if threading.get_ident() == self.armed_thread:
            self.armed_thread = None
            self.reached.set()
            assert self.go_on.wait(10)


class _PausingUnitOfWork(WrappedUnitOfWork):
    def __init__(self, inner: Any, gate: _Gate) -> None:
        super().__init__(inner)
        self.runs = _PausingRuns(inner.runs, gate)


def test_progress_racing_the_completion_never_undoes_the_publication() -> None:
    """A progress report in flight when the completion arrives must not land over the
    published episode: the completion waits for it (the progress holds the run until
    it commits), then publishes over it. (Progress no longer reads the episode before
    writing it, so it has no stale copy to write back; the other order, progress
    arriving while the result holds the run, is in tests/contract/test_run_progress.py.)"""
    gate = _Gate()
    harness = Harness(lambda real: lambda org: _PausingUnitOfWork(real(org), gate))
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    run_id, token = started(harness, alice)

    def late_progress() -> None:
        gate.armed_thread = threading.get_ident()
        report = ProgressMade(GenerationStage.REVIEW, 90)
        harness.receive_callback(GenerationCallback(run_id, token, report))

    progress = threading.Thread(target=late_progress)
    progress.start()
    assert gate.reached.wait(10)
    completion = threading.Thread(
        target=harness.receive_callback, args=(GenerationCallback(run_id, token, written()),)
    )
    completion.start()
    completion.join(timeout=0.5)  # without the run lock it commits here, before the progress
    assert completion.is_alive()
    gate.go_on.set()
    progress.join(10)
    completion.join(10)
    _, episode, run = queue_item_for(harness, run_id)
    assert (episode.status, run.status.value) == (EpisodeStatus.PUBLISHED, "succeeded")
    assert episode.progress_percent == 100


def test_a_completion_racing_the_retry_that_supersedes_its_run_stays_consistent() -> None:
    """The job starting attempt 2 read the episode just before attempt 1's completion
    committed: either the completion wins (published, no attempt 2) or the retry does
    (attempt 1 superseded, nothing published), never a published episode made to
    generate again.

    A run past its deadline is failed before the item is claimed again, so attempt 1's
    run can only still be open here when its job raced the reclaim of its own lapsed
    start lease; the item is put in the state that race leaves (a run open, the item's
    lease a start lease) rather than timing the race itself."""
    gate = _Gate()
    harness = Harness(lambda real: lambda org: _PausingUnitOfWork(real(org), gate))
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    first_run, token = started(harness, alice)
    item, _, _ = queue_item_for(harness, first_run)
    with harness.uow() as uow:
        item.run_opened_at = None
        uow.queue.update(item)
        uow.commit()
    harness.clock.advance(DEADLINE)
    report = harness.tick()
    assert (report.items_failed, report.items_dispatched) == (0, 1)
    receipts: list[Any] = []

    def retry() -> None:
        gate.armed_thread = threading.get_ident()
        harness.run_dispatched()

    retrying = threading.Thread(target=retry)
    retrying.start()
    assert gate.reached.wait(10)
    completion = threading.Thread(
        target=lambda: receipts.append(
            harness.receive_callback(GenerationCallback(first_run, token, written()))
        )
    )
    completion.start()
    completion.join(timeout=0.5)  # without the run lock it commits here
    gate.go_on.set()
    retrying.join(10)
    completion.join(10)
    _, episode, _ = queue_item_for(harness, first_run)
    with harness.uow() as uow:
        blocks = uow.blocks.list_for_episode(episode.id)
    (receipt,) = receipts
    if receipt.outcome is ResultOutcome.PUBLISHED:
        assert (episode.status, len(blocks), len(harness.generator.requests)) == (
            EpisodeStatus.PUBLISHED,
            1,
            1,
        )
    else:
        assert receipt.outcome is ResultOutcome.SUPERSEDED
        assert (episode.status, len(blocks), episode.generation_attempts) == (
            EpisodeStatus.GENERATING,
            0,
            2,
        )
