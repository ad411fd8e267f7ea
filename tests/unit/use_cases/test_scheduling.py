"""The scheduler tick: advancing due projects exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from manyfutures.core.identity.set_plan import SetPlanCommand
from manyfutures.core.projects.use_cases import CreateProjectCommand, ProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.scheduling.use_cases import DEFAULT_BATCH_SIZE, RunSchedulerTick
from manyfutures.core.shared.actor import Actor
from tests.unit.use_cases.conftest import Harness

FIRST_SLOT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def daily_project(harness: Harness, actor: Actor) -> str:
    command = CreateProjectCommand(actor, "Energy", "Grid", cadence_mode="daily", days=())
    return harness.create_project(command).id


def slots(harness: Harness, project_id: str) -> list[tuple[datetime, QueueStatus]]:
    with harness.uow() as uow:
        return [(i.scheduled_for, i.status) for i in uow.queue.list_for_project(project_id)]


def test_nothing_happens_before_the_slot_is_due(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    report = harness.tick()
    assert (report.projects_advanced, report.items_dispatched) == (0, 0)
    assert slots(harness, project_id) == [(FIRST_SLOT, QueueStatus.PENDING)]


def test_a_due_project_advances_and_its_slot_is_dispatched(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    harness.clock.set(FIRST_SLOT)
    report = harness.tick()
    assert (report.projects_advanced, report.items_dispatched) == (1, 1)
    assert slots(harness, project_id) == [
        (FIRST_SLOT, QueueStatus.PROCESSING),
        (FIRST_SLOT + timedelta(days=1), QueueStatus.PENDING),
    ]
    project = harness.get_project(ProjectCommand(alice, project_id))
    assert project.next_scheduled_at == FIRST_SLOT + timedelta(days=1)
    with harness.uow() as uow:
        assert len(uow.episodes.list_for_project(project_id, limit=10)) == 2


def test_running_the_tick_twice_creates_nothing_new(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    harness.clock.set(FIRST_SLOT)
    harness.tick()
    before = slots(harness, project_id)
    report = harness.tick()
    assert (report.projects_advanced, report.items_dispatched) == (0, 0)
    assert slots(harness, project_id) == before


def test_missed_slots_collapse_into_one_delivery(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    harness.clock.set(FIRST_SLOT + timedelta(days=3, hours=2))
    harness.tick()
    assert slots(harness, project_id) == [
        (FIRST_SLOT, QueueStatus.PROCESSING),
        (FIRST_SLOT + timedelta(days=4), QueueStatus.PENDING),
    ]


def room_for(harness: Harness, projects: int) -> None:
    """A plan as big as the test needs: scheduling is tested here, not the plan."""
    harness.container.identity.set_plan()(SetPlanCommand("org_a", max_active_projects=projects))


def test_concurrent_ticks_never_duplicate_slots_or_dispatches(
    harness: Harness, alice: Actor
) -> None:
    room_for(harness, 20)
    project_ids = [daily_project(harness, alice) for _ in range(20)]
    harness.clock.set(FIRST_SLOT)
    barrier = threading.Barrier(4)

    def tick() -> None:
        barrier.wait()
        harness.tick()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dispatched = [item.id for item in harness.dispatcher.dispatched]
    assert len(dispatched) == len(set(dispatched)) == 20
    for project_id in project_ids:
        assert [s for s, _ in slots(harness, project_id)] == [
            FIRST_SLOT,
            FIRST_SLOT + timedelta(days=1),
        ]


def test_paused_projects_are_not_scheduled(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    harness.pause(ProjectCommand(alice, project_id))
    harness.clock.set(FIRST_SLOT + timedelta(days=2))
    assert harness.tick().projects_advanced == 0
    assert slots(harness, project_id) == [(FIRST_SLOT, QueueStatus.CANCELLED)]


def test_a_reused_draft_is_not_handed_to_the_next_slot_too(harness: Harness, alice: Actor) -> None:
    project_id = daily_project(harness, alice)
    harness.pause(ProjectCommand(alice, project_id))
    resumed = harness.resume(ProjectCommand(alice, project_id))
    assert resumed.next_scheduled_at is not None
    harness.clock.set(resumed.next_scheduled_at)
    harness.tick()
    with harness.uow() as uow:
        live = [
            i
            for i in uow.queue.list_for_project(project_id)
            if i.status is not QueueStatus.CANCELLED
        ]
        assert len(live) == 2
        assert len({i.episode_id for i in live}) == 2
        for item in live:
            episode = uow.episodes.get(item.episode_id)
            assert episode is not None
            assert episode.scheduled_for == item.scheduled_for


def test_one_tick_claims_everything_due_in_batches(harness: Harness, alice: Actor) -> None:
    """More due items than a batch all go out on the same beat, each exactly once."""
    room_for(harness, DEFAULT_BATCH_SIZE * 2 + 7)
    due = [
        harness.create_project(
            CreateProjectCommand(alice, f"Topic {n}", "Brief", deliver_first_now=True)
        ).id
        for n in range(DEFAULT_BATCH_SIZE * 2 + 7)
    ]
    report = harness.tick()
    assert report.items_dispatched == len(due)
    dispatched = [item.project_id for item in harness.dispatcher.dispatched]
    assert sorted(dispatched) == sorted(due)
    assert harness.tick().items_dispatched == 0


def test_a_tick_hands_out_no_more_than_the_workers_have_room_for(
    harness: Harness, alice: Actor
) -> None:
    """A claim starts the start lease, so items beyond what may wait for a worker stay
    pending, no lease running and no attempt spent, until the workers take jobs."""
    tick = RunSchedulerTick(
        lambda: 0,
        lambda: 0,
        lambda: 0,
        harness.container.scheduling.claim_due_items(),
        harness.dispatcher,
        batch_size=4,
        max_waiting=10,
    )
    room_for(harness, 25)
    due = [
        harness.create_project(
            CreateProjectCommand(alice, f"Topic {n}", "Brief", deliver_first_now=True)
        ).id
        for n in range(25)
    ]
    assert tick().items_dispatched == 10
    assert tick().items_dispatched == 0  # the ten still wait for a worker
    with harness.uow() as uow:
        pending = [
            item
            for project_id in due
            for item in uow.queue.list_for_project(project_id)
            if item.status is QueueStatus.PENDING
        ]
    assert len(pending) == 15 and all(item.attempt_count == 0 for item in pending)
    harness.dispatcher.dispatched = harness.dispatcher.dispatched[7:]  # a worker took seven
    assert tick().items_dispatched == 7
    harness.dispatcher.dispatched.clear()
    assert tick().items_dispatched == 8
    dispatched_once = {item.project_id for item in harness.dispatcher.dispatched}
    assert len(dispatched_once) == 8 and dispatched_once <= set(due)
