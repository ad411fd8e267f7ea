"""From due slot to published (or failed) episode, through the real use cases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers

from manyfutures.core.costs.model import Operation
from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage, Source
from manyfutures.core.feedback.model import AgentMemory, PlanningNoteStatus
from manyfutures.core.feedback.use_cases import AddPlanningNoteCommand
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.generation.use_cases import (
    EpisodeCommand,
    GenerationFailed,
    GenerationSucceeded,
    ModelUsage,
    ProgressOutcome,
    ProgressReport,
    RequestEpisodeCommand,
    ResultOutcome,
    StartGenerationCommand,
)
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.projects.model import MemoryStorage, ProjectMemory
from manyfutures.core.projects.use_cases import CreateProjectCommand, ProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.scheduling.use_cases import TickReport
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import NotFoundError, StateConflictError
from tests.support.builders import T0
from tests.support.recorded_calls import RecordingUnitOfWork
from tests.unit.use_cases.conftest import DEADLINE, START_LEASE, Harness

CONTENT = "# Title\n\n" + "word " * 450
USAGE_LINE = ModelUsage("gpt-4o", 1000, 500, Decimal("0.02"))


def start_now(harness: Harness, actor: Actor) -> str:
    """A project whose first slot is due now, claimed and started; returns its run id."""
    harness.create_project(CreateProjectCommand(actor, "Energy", "Grid", deliver_first_now=True))
    harness.tick()
    harness.run_dispatched()
    return harness.generator.requests[-1].run_id


def succeeded(run_id: str, org: str = "org_a", **overrides: object) -> GenerationSucceeded:
    fields: dict[str, object] = {
        "organization_id": org,
        "run_id": run_id,
        "title": "Grid week",
        "summary": "Summary",
        "content": CONTENT,
        "sources": (Source("IEA", "https://iea.example"),),
        "reasoning": "why",
        "confidence": 0.8,
        "usage": (
            ModelUsage("gpt-4o", 1200, 800, Decimal("0.03")),
            ModelUsage("claude", 100, 50, Decimal("0.01")),
        ),
    }
    return GenerationSucceeded(**{**fields, **overrides})  # type: ignore[arg-type]


def queue_item_for(harness: Harness, run_id: str, org: str = "org_a"):  # type: ignore[no-untyped-def]
    with harness.uow(org) as uow:
        run = uow.runs.get(run_id)
        assert run is not None
        return uow.queue.get(run.queue_item_id), uow.episodes.get(run.episode_id), run


class TestStart:
    def test_tick_claims_dispatches_and_the_worker_starts_a_run(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        item, episode, run = queue_item_for(harness, run_id)
        assert item.status is QueueStatus.PROCESSING
        assert item.attempt_count == 1
        # Opening the run swapped the claim's start lease for the generation deadline.
        assert (item.run_opened_at, item.lease_expires_at) == (T0, T0 + DEADLINE)
        assert episode.status is EpisodeStatus.GENERATING
        assert episode.generation_attempts == 1
        assert (run.status, run.attempt) == (RunStatus.RUNNING, 1)

    def test_payload_carries_brief_notes_live_memories_and_recent_episodes(
        self, harness: Harness, alice: Actor
    ) -> None:
        project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid brief"))
        harness.request_now(RequestEpisodeCommand(alice, project.id))
        harness.tick()
        harness.run_dispatched()
        (first,) = harness.generator.requests
        assert first.recent_episodes == ()
        harness.apply_result(succeeded(first.run_id, title="Last week", summary="What moved"))
        note = harness.add_note(AddPlanningNoteCommand(alice, project.id, "More on regulation"))
        with harness.uow() as uow:
            stored = uow.projects.get(project.id)
            assert stored is not None
            stored.memories = [
                ProjectMemory(id="mem_1", content="low", importance=0.2, created_at=T0),
                ProjectMemory(
                    id="mem_2",
                    content="expired",
                    importance=0.9,
                    created_at=T0,
                    expires_at=T0 - timedelta(days=1),
                ),
                ProjectMemory(id="mem_3", content="high", importance=0.8, created_at=T0),
            ]
            uow.projects.update(stored)
            uow.commit()
        harness.clock.advance(timedelta(minutes=1))
        harness.request_now(RequestEpisodeCommand(alice, project.id))
        harness.tick()
        harness.run_dispatched()
        _, request = harness.generator.requests
        assert (request.title, request.brief) == ("Energy", "Grid brief")
        assert [(n.id, n.note) for n in request.planning_notes] == [(note.id, note.note)]
        assert [m.content for m in request.memories] == ["high", "low"]
        assert [(e.title, e.summary) for e in request.recent_episodes] == [
            ("Last week", "What moved")
        ]
        assert request.attempt == 1

    def test_a_table_storage_project_sends_its_live_agent_memories(
        self, harness: Harness, alice: Actor
    ) -> None:
        project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid brief"))
        with harness.uow() as uow:
            stored = uow.projects.get(project.id)
            assert stored is not None
            stored.memory_storage = MemoryStorage.TABLE
            stored.memories = [
                ProjectMemory(id="mem_0", content="left in the JSON", importance=1.0, created_at=T0)
            ]
            uow.projects.update(stored)
            for n, (content, importance, expires_at) in enumerate(
                [
                    ("low", 0.2, None),
                    ("expired", 0.9, T0 - timedelta(days=1)),
                    ("high", 0.8, T0 + timedelta(days=1)),
                ]
            ):
                uow.agent_memories.add(
                    AgentMemory(
                        id=f"mem_{n}",
                        organization_id="org_a",
                        project_id=project.id,
                        content=content,
                        importance=importance,
                        created_at=T0,
                        expires_at=expires_at,
                    )
                )
            uow.commit()
        harness.request_now(RequestEpisodeCommand(alice, project.id))
        harness.tick()
        harness.run_dispatched()
        (request,) = harness.generator.requests
        assert [(m.content, m.importance) for m in request.memories] == [
            ("high", 0.8),
            ("low", 0.2),
        ]

    def test_a_stale_job_for_an_older_attempt_does_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        item, _, _ = queue_item_for(harness, run_id)
        assert harness.start_generation(StartGenerationCommand("org_a", item.id, 0)) is None
        assert len(harness.generator.requests) == 1

    def test_a_refused_webhook_is_a_failed_attempt_retried_with_backoff(
        self, harness: Harness, alice: Actor
    ) -> None:
        harness.generator.refuse_with = "connection refused"
        harness.create_project(CreateProjectCommand(alice, "E", "B", deliver_first_now=True))
        harness.tick()
        harness.run_dispatched()
        with harness.uow() as uow:
            (item,) = [
                i
                for i in uow.queue.list_for_project(uow.projects.list(limit=1)[0].id)
                if i.scheduled_for == T0
            ]
            assert item.status is QueueStatus.PENDING
            assert item.available_at == T0 + timedelta(seconds=2)
            assert item.last_error == "connection refused"

    def test_a_paused_project_cancels_its_claimed_item_without_generating(
        self, harness: Harness, alice: Actor
    ) -> None:
        project = harness.create_project(
            CreateProjectCommand(alice, "E", "B", deliver_first_now=True)
        )
        harness.tick()
        harness.pause(ProjectCommand(alice, project.id))
        harness.run_dispatched()
        assert harness.generator.requests == []
        with harness.uow() as uow:
            statuses = {i.scheduled_for: i.status for i in uow.queue.list_for_project(project.id)}
            assert statuses[T0] is QueueStatus.CANCELLED


def test_a_start_job_reads_the_episodes_latest_run_and_its_item_once() -> None:
    """Every read is a round trip to PostgreSQL and this job runs once per episode: the
    run read while looking for an open run to wait for (read again under its lock when it
    is open) is the one the job supersedes, not read a third time (bench/pipeline.py).
    Waiting for an open run is test_a_completion_racing_the_retry_that_supersedes_its_run_
    stays_consistent's case."""
    recorded: list[str] = []
    harness = Harness(lambda real: lambda org: RecordingUnitOfWork(real(org), recorded))
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    harness.create_project(CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True))
    harness.tick()
    recorded.clear()
    harness.run_dispatched()
    assert len(harness.generator.requests) == 1
    calls = Counter(recorded)
    assert calls["runs.latest_for_episode_of_item"] == 1
    assert calls["runs.latest_for_episode"] == 0
    # The item is read once, under its lock, not first without it to find its episode.
    assert calls["queue.get_for_update"] == 1
    assert calls["queue.get"] == 0


class TestResults:
    def test_publish_writes_block_usage_notes_notification_event_and_outbox_email(
        self, harness: Harness, alice: Actor
    ) -> None:
        project = harness.create_project(
            CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True)
        )
        note = harness.add_note(AddPlanningNoteCommand(alice, project.id, "More on storage"))
        harness.tick()
        harness.run_dispatched()
        run_id = harness.generator.requests[-1].run_id
        harness.clock.advance(timedelta(minutes=3))
        assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
        item, episode, run = queue_item_for(harness, run_id)
        assert episode.status is EpisodeStatus.PUBLISHED
        assert (episode.title, episode.reading_minutes) == ("Grid week", 3)
        assert episode.published_at == T0 + timedelta(minutes=3)
        assert episode.sources == [Source("IEA", "https://iea.example")]
        assert item.status is QueueStatus.COMPLETED
        assert run.status is RunStatus.SUCCEEDED
        with harness.uow() as uow:
            (block,) = uow.blocks.list_for_episode(episode.id)
            assert (block.content, block.confidence) == (CONTENT, 0.8)
            daily = uow.token_usage.daily(T0.date())
            assert daily is not None
            assert daily.total_cost_gbp == Decimal("0.04")
            assert daily.total_tokens == 2150
            assert daily.episode_count == 1
            assert set(daily.operation_breakdown) == {Operation.EPISODE_GENERATION}
            stored_note = uow.planning_notes.get(note.id)
            assert stored_note is not None
            assert (stored_note.status, stored_note.episode_id) == (
                PlanningNoteStatus.INCORPORATED,
                episode.id,
            )
            (notification,) = uow.notifications.list_for_user(alice.user_id)
            assert notification.link == f"/episodes/{episode.id}"
            assert len(uow.events.list("episode_published")) == 1
        # Written with the publication; sent by the dispatcher, after the commit.
        assert harness.email.sent == []
        assert harness.dispatch_outbox().sent == 1
        (mail,) = harness.email.sent
        assert mail.to == "user_alice@example.org"
        assert mail.subject == "Your Many Futures episode is ready: Grid week"
        # Rendered from the templates, linking to the front end (memory mode's default URL).
        link = f"http://127.0.0.1:8000/episodes/{episode.id}"
        assert f"Read it: {link}" in mail.text
        assert mail.html is not None and f'href="{link}"' in mail.html
        with harness.uow() as uow:
            message = uow.outbox.get(mail.message_id)
        assert message is not None
        assert (message.status, message.created_at) == (OutboxStatus.SENT, episode.published_at)

    def test_notes_written_after_the_run_started_stay_pending(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        _, episode, _ = queue_item_for(harness, run_id)
        late = harness.add_note(AddPlanningNoteCommand(alice, episode.project_id, "Later"))
        harness.apply_result(succeeded(run_id))
        with harness.uow() as uow:
            stored = uow.planning_notes.get(late.id)
            assert stored is not None
            assert stored.status is PlanningNoteStatus.PENDING

    def test_duplicate_and_late_callbacks_change_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
        again = harness.apply_result(succeeded(run_id, title="Again"))
        assert again is ResultOutcome.EPISODE_FINAL
        assert not again.applied
        late = GenerationFailed("org_a", run_id, "late", True, usage=(USAGE_LINE,))
        assert harness.apply_result(late) is ResultOutcome.EPISODE_FINAL
        _, episode, _ = queue_item_for(harness, run_id)
        assert episode.title == "Grid week"
        with harness.uow() as uow:
            assert len(uow.blocks.list_for_episode(episode.id)) == 1
            daily = uow.token_usage.daily(T0.date())
            assert daily is not None
            assert daily.total_cost_gbp == Decimal("0.04")
        harness.dispatch_outbox()
        assert [mail.subject for mail in harness.email.sent] == [
            "Your Many Futures episode is ready: Grid week"
        ]

    def test_unknown_run_or_other_organizations_run_is_not_found(
        self, harness: Harness, alice: Actor, bob: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        with pytest.raises(NotFoundError):
            harness.apply_result(succeeded("run_missing"))
        with pytest.raises(NotFoundError):
            harness.apply_result(succeeded(run_id, org=bob.organization_id))

    def test_retryable_failures_back_off_then_fail_for_good(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        for attempt in (1, 2):
            outcome = harness.apply_result(
                GenerationFailed("org_a", run_id, f"boom {attempt}", retryable=True)
            )
            assert outcome is ResultOutcome.RETRY_SCHEDULED
            item, episode, _ = queue_item_for(harness, run_id)
            assert item.status is QueueStatus.PENDING
            assert item.available_at == harness.clock.now() + timedelta(seconds=2**attempt)
            assert episode.status is EpisodeStatus.DRAFT
            assert harness.tick().items_dispatched == 0  # still backing off
            harness.clock.advance(timedelta(seconds=2**attempt))
            assert harness.tick().items_dispatched == 1
            harness.run_dispatched()
            run_id = harness.generator.requests[-1].run_id
        outcome = harness.apply_result(GenerationFailed("org_a", run_id, "boom 3", True))
        assert outcome is ResultOutcome.FAILED
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.status, item.attempt_count) == (QueueStatus.FAILED, 3)
        assert episode.status is EpisodeStatus.FAILED
        assert episode.generation_errors == ["boom 1", "boom 2", "boom 3"]
        assert episode.generation_attempts == 3
        with harness.uow() as uow:
            (notification,) = uow.notifications.list_for_user(alice.user_id)
            assert notification.kind == "episode_failed"
            assert notification.link == f"/episodes/{episode.id}/retry"

    def test_non_retryable_failure_is_final_at_once(self, harness: Harness, alice: Actor) -> None:
        run_id = start_now(harness, alice)
        outcome = harness.apply_result(GenerationFailed("org_a", run_id, "bad brief", False))
        assert outcome is ResultOutcome.FAILED
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.status, episode.status) == (QueueStatus.FAILED, EpisodeStatus.FAILED)

    def test_failed_episode_can_be_retried_only_once_failed(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        _, episode, _ = queue_item_for(harness, run_id)
        with pytest.raises(StateConflictError):
            harness.retry_episode(EpisodeCommand(alice, episode.id))
        harness.apply_result(GenerationFailed("org_a", run_id, "bad", False))
        harness.clock.advance(timedelta(minutes=1))
        retried = harness.retry_episode(EpisodeCommand(alice, episode.id))
        assert retried.status is EpisodeStatus.DRAFT
        assert harness.tick().items_dispatched == 1
        harness.run_dispatched()
        harness.apply_result(succeeded(harness.generator.requests[-1].run_id))
        _, final, _ = queue_item_for(harness, harness.generator.requests[-1].run_id)
        assert final.status is EpisodeStatus.PUBLISHED


class TestProgress:
    def test_progress_only_moves_forward(self, harness: Harness, alice: Actor) -> None:
        run_id = start_now(harness, alice)
        report = harness.report_progress
        applied, stale = ProgressOutcome.APPLIED, ProgressOutcome.OUT_OF_ORDER
        assert report(ProgressReport("org_a", run_id, GenerationStage.WRITING, 50)) is applied
        assert report(ProgressReport("org_a", run_id, GenerationStage.RESEARCH, 90)) is stale
        assert report(ProgressReport("org_a", run_id, GenerationStage.WRITING, 40)) is stale
        _, episode, _ = queue_item_for(harness, run_id)
        assert (episode.progress_stage, episode.progress_percent) == (GenerationStage.WRITING, 50)
        harness.apply_result(succeeded(run_id))
        finished = ProgressOutcome.RUN_FINISHED
        assert report(ProgressReport("org_a", run_id, GenerationStage.REVIEW, 99)) is finished


def due_item(harness: Harness, actor: Actor) -> str:
    """A project whose first slot is due now; returns that slot's queue item id."""
    project = harness.create_project(
        CreateProjectCommand(actor, "Energy", "Grid", deliver_first_now=True)
    )
    with harness.uow() as uow:
        (item,) = uow.queue.list_for_project(project.id)
    return item.id


def stored_item(harness: Harness, item_id: str) -> ScheduleQueueItem:
    with harness.uow() as uow:
        item = uow.queue.get(item_id)
    assert item is not None
    return item


class TestLeases:
    def test_a_claim_holds_the_item_for_the_start_lease(
        self, harness: Harness, alice: Actor
    ) -> None:
        item_id = due_item(harness, alice)
        harness.tick()
        item = stored_item(harness, item_id)
        assert (item.lease_expires_at, item.run_opened_at) == (T0 + START_LEASE, None)

    def test_a_start_lease_lapsing_while_its_job_opens_the_run_is_not_reclaimed_under_it(
        self, harness: Harness, alice: Actor
    ) -> None:
        """The scheduler beats, past the start lease, while the job is inside its unit of
        work: its claim must pass the item by, not hand out an attempt the job then
        overwrites."""
        item_id = due_item(harness, alice)
        harness.tick()
        reclaimed: list[ScheduleQueueItem] = []
        gateway = harness.container.adapters.scheduler_gateway()

        class ReclaimMidJob:
            def new_token(self) -> str:
                lapsed = T0 + START_LEASE
                reclaimed.extend(gateway.claim_due_items(lapsed, START_LEASE, 10, 3))
                return "callback-token"

        harness.container.adapters.callback_tokens.override(providers.Object(ReclaimMidJob()))
        harness.container.generation.start_generation.reset()
        start = harness.container.generation.start_generation()
        run = start(StartGenerationCommand("org_a", item_id, 1))
        assert run is not None and reclaimed == []
        item = stored_item(harness, item_id)
        assert (item.attempt_count, item.run_opened_at) == (1, T0)

    def test_a_job_lost_before_opening_its_run_is_claimed_again_after_the_start_lease(
        self, harness: Harness, alice: Actor
    ) -> None:
        item_id = due_item(harness, alice)
        assert harness.tick().items_dispatched == 1
        harness.dispatcher.dispatched.clear()  # the job is lost: nobody ever runs it
        harness.clock.advance(START_LEASE - timedelta(seconds=1))
        assert harness.tick().items_dispatched == 0
        harness.clock.advance(timedelta(seconds=1))
        report = harness.tick()
        assert (report.items_failed, report.items_dispatched) == (0, 1)  # no backoff
        assert stored_item(harness, item_id).attempt_count == 2
        harness.run_dispatched()
        (request,) = harness.generator.requests
        assert request.attempt == 2
        assert harness.apply_result(succeeded(request.run_id)) is ResultOutcome.PUBLISHED
        _, episode, _ = queue_item_for(harness, request.run_id)
        assert (episode.generation_attempts, episode.generation_errors) == (1, [])

    def test_a_run_past_its_deadline_times_out_and_is_retried_with_backoff(
        self, harness: Harness, alice: Actor
    ) -> None:
        first_run = start_now(harness, alice)
        harness.clock.advance(DEADLINE - timedelta(seconds=1))
        assert harness.tick() == TickReport(0, 0, 0)  # still within the deadline
        harness.clock.advance(timedelta(seconds=1))
        assert harness.tick() == TickReport(0, 1, 0)  # failed, not claimed again
        item, episode, run = queue_item_for(harness, first_run)
        assert (item.status, item.available_at) == (
            QueueStatus.PENDING,
            harness.clock.now() + timedelta(seconds=2),
        )
        assert (run.status, run.error) == (
            RunStatus.FAILED,
            "generation timed out: no result within 600 s",
        )
        assert episode.generation_errors == ["generation timed out: no result within 600 s"]
        harness.clock.advance(timedelta(seconds=2))
        assert harness.tick().items_dispatched == 1
        harness.run_dispatched()
        second_run = harness.generator.requests[-1].run_id
        assert second_run != first_run
        item, episode, run = queue_item_for(harness, second_run)
        assert (item.attempt_count, run.attempt, episode.generation_attempts) == (2, 2, 2)
        # The timed-out run was failed by recovery, so the new attempt supersedes nothing.
        assert episode.generation_errors == ["generation timed out: no result within 600 s"]
        _, _, old = queue_item_for(harness, first_run)
        assert old.status is RunStatus.FAILED
        assert harness.apply_result(succeeded(first_run)) is ResultOutcome.SUPERSEDED
        assert harness.apply_result(succeeded(second_run)) is ResultOutcome.PUBLISHED

    def test_the_final_attempt_past_its_deadline_fails_the_episode(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        for _ in range(2):
            harness.clock.advance(DEADLINE)
            assert harness.tick().items_failed == 1
            harness.clock.advance(timedelta(minutes=5))  # past any backoff
            harness.tick()
            harness.run_dispatched()
        harness.clock.advance(DEADLINE)
        assert harness.tick() == TickReport(0, 1, 0)
        item, episode, _ = queue_item_for(harness, run_id)
        assert (item.status, item.attempt_count) == (QueueStatus.FAILED, 3)
        assert episode.status is EpisodeStatus.FAILED
        assert episode.generation_errors == ["generation timed out: no result within 600 s"] * 3
        with harness.uow() as uow:
            (notification,) = uow.notifications.list_for_user(alice.user_id)
            assert notification.link == f"/episodes/{episode.id}/retry"
            (event,) = uow.events.list("episode_failed")
            assert event.event_data["episodeId"] == episode.id
            runs = [uow.runs.get(r.run_id) for r in harness.generator.requests]
            assert [r.status for r in runs if r is not None] == [RunStatus.FAILED] * 3
        assert harness.tick().items_failed == 0

    def test_a_job_lost_on_the_final_attempt_fails_the_episode(
        self, harness: Harness, alice: Actor
    ) -> None:
        item_id = due_item(harness, alice)
        for _ in range(3):
            assert harness.tick().items_dispatched == 1
            harness.dispatcher.dispatched.clear()
            harness.clock.advance(START_LEASE)
        assert harness.tick() == TickReport(0, 1, 0)
        item = stored_item(harness, item_id)
        assert (item.status, item.attempt_count) == (QueueStatus.FAILED, 3)
        with harness.uow() as uow:
            episode = uow.episodes.get(item.episode_id)
        assert episode is not None and episode.status is EpisodeStatus.FAILED
        assert episode.generation_errors == [
            "the generation job did not start within its start lease on the final attempt"
        ]
        assert harness.generator.requests == []
