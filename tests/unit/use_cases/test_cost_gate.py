"""The cost gate on the generation pipeline, through the real use cases over memory storage.

A run opens only with its ceiling (``MANYFUTURES_MAX_EPISODE_COST_GBP``, 1.50 by
default) reserved on the organization's UTC day; the usage it reports settles it, a
run that ends without usage releases it, and a refusal blocks the slot without using
up an attempt.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from manyfutures.core.costs.breaker import BreakerState
from manyfutures.core.costs.budget import BudgetDay, CostReservation, ReservationStatus
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    ModelUsage,
    ResultOutcome,
)
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.projects.cadence import WEDNESDAY
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.actor import Actor
from tests.support.builders import T0
from tests.unit.use_cases.conftest import DEADLINE, Harness
from tests.unit.use_cases.test_generation_pipeline import queue_item_for, start_now, succeeded

CEILING = Decimal("1.50")


def set_limit(harness: Harness, limit: str, org: str = "org_a") -> None:
    with harness.uow(org) as uow:
        organization = uow.organizations.get()
        assert organization is not None
        organization.daily_cost_limit_gbp = Decimal(limit)
        uow.organizations.update(organization)
        uow.commit()


def budget_day(harness: Harness, day: object = None) -> BudgetDay:
    with harness.uow() as uow:
        found = uow.budget_days.get(day or T0.date())  # type: ignore[arg-type]
    assert found is not None
    return found


def reservation(harness: Harness, run_id: str) -> CostReservation:
    with harness.uow() as uow:
        found = uow.cost_reservations.for_run(run_id)
    assert found is not None
    return found


def events(harness: Harness, kind: str) -> list[dict[str, object]]:
    with harness.uow() as uow:
        return [event.event_data for event in uow.events.list(kind)]


def items(harness: Harness) -> list[ScheduleQueueItem]:
    with harness.uow() as uow:
        return sorted(
            (i for p in uow.projects.list(100) for i in uow.queue.list_for_project(p.id)),
            key=lambda i: i.id,
        )


def create_due_projects(harness: Harness, actor: Actor, count: int) -> None:
    for n in range(count):
        harness.create_project(CreateProjectCommand(actor, f"P{n}", "B", deliver_first_now=True))


class TestReserve:
    def test_a_run_opens_with_its_ceiling_reserved_and_sent_as_max_cost(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        (request,) = harness.generator.requests
        held = reservation(harness, run_id)
        assert (held.amount_gbp, held.status, held.day) == (
            CEILING,
            ReservationStatus.RESERVED,
            T0.date(),
        )
        assert request.max_cost_gbp == held.amount_gbp
        day = budget_day(harness)
        assert (day.spent_gbp, day.reserved_gbp) == (0, CEILING)

    def test_a_full_day_blocks_the_next_slot_without_using_an_attempt(
        self, harness: Harness, alice: Actor
    ) -> None:
        set_limit(harness, "3.00")
        create_due_projects(harness, alice, 3)
        harness.tick()
        harness.run_dispatched()
        assert len(harness.generator.requests) == 2
        first_slots = [i for i in items(harness) if i.scheduled_for == T0]
        assert [i.status for i in first_slots].count(QueueStatus.PROCESSING) == 2
        (item,) = [i for i in first_slots if i.status is QueueStatus.BLOCKED]
        assert (item.status, item.last_error, item.attempt_count, item.lease_expires_at) == (
            QueueStatus.BLOCKED,
            "Daily limit exceeded",
            0,
            None,
        )
        with harness.uow() as uow:
            episode = uow.episodes.get(item.episode_id)
            assert episode is not None and episode.status is EpisodeStatus.DRAFT
            assert uow.runs.latest_for_episode(item.episode_id) is None
            assert len(uow.cost_reservations.list_for_day(T0.date())) == 2
        day = budget_day(harness)
        assert (day.reserved_gbp, day.state(Decimal("3.00"))) == (
            Decimal("3.00"),
            BreakerState.OPEN,
        )
        # The second reservation reached the limit and opened the breaker (one event), which
        # held back the day's later slots (each project's 09:00) before anyone claimed them.
        later = [i for i in items(harness) if i.scheduled_for != T0]
        assert [(i.status, i.attempt_count) for i in later] == [(QueueStatus.BLOCKED, 0)] * 3
        assert [
            (e["reason"], e["blockedItems"]) for e in events(harness, "daily_limit_exceeded")
        ] == [("limit_reached", 3)]
        harness.clock.advance(timedelta(minutes=5))
        assert harness.tick().items_dispatched == 0  # blocked items are not claimed

    def test_a_refused_retry_gives_back_the_attempt_its_claim_counted(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        harness.apply_result(GenerationFailed("org_a", run_id, "writer timed out", True))
        set_limit(harness, "1.00")
        harness.clock.advance(timedelta(seconds=2))
        assert harness.tick().items_dispatched == 1
        harness.run_dispatched()
        assert len(harness.generator.requests) == 1  # the retry never reached the generator
        item, _, _ = queue_item_for(harness, run_id)
        assert (item.status, item.attempt_count) == (QueueStatus.BLOCKED, 1)
        assert [e["reason"] for e in events(harness, "daily_limit_exceeded")] == [
            "reservation_refused"
        ]

    def test_opening_the_breaker_holds_back_the_days_waiting_slots(
        self, harness: Harness, alice: Actor
    ) -> None:
        set_limit(harness, "1.50")
        due_now = harness.create_project(
            CreateProjectCommand(alice, "Now", "B", deliver_first_now=True)
        )
        later_today = harness.create_project(CreateProjectCommand(alice, "At 09:00", "B"))
        next_week = harness.create_project(
            CreateProjectCommand(alice, "Wed", "B", days=(WEDNESDAY,))
        )
        harness.tick()
        harness.run_dispatched()  # reserves 1.50 of 1.50: the limit is reached
        with harness.uow() as uow:
            first = {
                p: uow.queue.list_for_project(p)[0]
                for p in (due_now.id, later_today.id, next_week.id)
            }
        assert first[due_now.id].status is QueueStatus.PROCESSING
        assert (first[later_today.id].status, first[later_today.id].last_error) == (
            QueueStatus.BLOCKED,
            "Daily limit exceeded",
        )
        assert first[next_week.id].status is QueueStatus.PENDING  # another day's budget
        with harness.uow() as uow:
            _, due_now_at_nine = uow.queue.list_for_project(due_now.id)
        assert due_now_at_nine.status is QueueStatus.BLOCKED
        (opened,) = events(harness, "daily_limit_exceeded")
        assert (opened["reason"], opened["blockedItems"]) == ("limit_reached", 2)


class TestLimitRaised:
    def fill_the_day(self, harness: Harness, alice: Actor) -> None:
        """Limit 3.00: two runs start, the third slot is refused, every 09:00 slot held back."""
        set_limit(harness, "3.00")
        create_due_projects(harness, alice, 3)
        harness.tick()
        harness.run_dispatched()
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4

    def raise_limit(self, harness: Harness, alice: Actor, limit: str) -> None:
        update = harness.container.identity.update_organization()
        update(UpdateOrganizationCommand(alice, daily_cost_limit_gbp=limit))

    def test_raising_the_limit_resumes_the_days_held_back_slots(
        self, harness: Harness, alice: Actor
    ) -> None:
        self.fill_the_day(harness, alice)
        self.raise_limit(harness, alice, "10.00")
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 0
        assert events(harness, "daily_limit_lifted") == [{"day": "2026-01-05", "resumedItems": 4}]
        harness.clock.advance(timedelta(seconds=1))
        assert harness.tick().items_dispatched == 1  # the refused slot; the rest are due at 09:00
        harness.run_dispatched()
        assert len(harness.generator.requests) == 3
        assert budget_day(harness).reserved_gbp == Decimal("4.50")

    def test_sending_the_raised_limit_again_resumes_what_a_failed_resume_left(
        self, harness: Harness, alice: Actor
    ) -> None:
        """The raise committed but resuming failed (the PATCH answered 500): the same PATCH
        again finds the limit unchanged and still resumes the day's held-back slots."""
        self.fill_the_day(harness, alice)
        set_limit(harness, "10.00")  # the committed raise, without its resume
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4
        self.raise_limit(harness, alice, "10.00")
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 0

    def test_a_raise_that_leaves_the_breaker_open_resumes_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        self.fill_the_day(harness, alice)
        self.raise_limit(harness, alice, "1.00")  # lowered
        self.raise_limit(harness, alice, "2.50")  # raised, still under the 3.00 it opened at
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4
        assert events(harness, "daily_limit_lifted") == []

    def test_an_earlier_days_slots_stay_blocked(self, harness: Harness, alice: Actor) -> None:
        self.fill_the_day(harness, alice)
        harness.clock.advance(timedelta(days=1))
        self.raise_limit(harness, alice, "10.00")
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4

    def test_a_slot_due_before_midnight_refused_after_it_belongs_to_the_new_day(
        self, harness: Harness, alice: Actor
    ) -> None:
        """Claimed at 23:59, its job refused at 00:01 by the new day's budget: raising that
        day's limit resumes it, and no beat of that day skips it as a lapsed day's slot."""
        set_limit(harness, "1.00")  # under the £1.50 ceiling: the reservation is refused
        harness.clock.advance(timedelta(hours=15, minutes=59))  # 23:59 UTC
        harness.create_project(CreateProjectCommand(alice, "Late", "B", deliver_first_now=True))
        harness.tick()
        harness.clock.advance(timedelta(minutes=2))  # 00:01 UTC the next day
        harness.run_dispatched()
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 1
        self.raise_limit(harness, alice, "10.00")
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 0
        report = harness.tick()
        assert (report.items_skipped, report.items_dispatched) == (0, 1)


class TestSettleAndRelease:
    def test_published_usage_settles_the_reservation(self, harness: Harness, alice: Actor) -> None:
        run_id = start_now(harness, alice)
        assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
        held = reservation(harness, run_id)
        assert (held.status, held.settled_gbp) == (ReservationStatus.SETTLED, Decimal("0.04"))
        day = budget_day(harness)
        assert (day.spent_gbp, day.reserved_gbp) == (Decimal("0.04"), 0)
        assert events(harness, "cost_overrun") == []

    def test_failed_usage_settles_too(self, harness: Harness, alice: Actor) -> None:
        run_id = start_now(harness, alice)
        usage = (ModelUsage("gpt-4o", 10, 10, Decimal("0.20")),)
        harness.apply_result(GenerationFailed("org_a", run_id, "QA refused", False, usage))
        assert reservation(harness, run_id).settled_gbp == Decimal("0.20")
        assert (budget_day(harness).spent_gbp, budget_day(harness).reserved_gbp) == (
            Decimal("0.20"),
            0,
        )

    def test_a_refused_webhook_releases_the_reservation(
        self, harness: Harness, alice: Actor
    ) -> None:
        harness.generator.refuse_with = "connection refused"
        run_id = start_now(harness, alice)
        assert reservation(harness, run_id).status is ReservationStatus.RELEASED
        assert (budget_day(harness).spent_gbp, budget_day(harness).reserved_gbp) == (0, 0)

    def test_a_timed_out_run_releases_and_its_late_usage_is_still_charged(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        harness.clock.advance(DEADLINE)
        assert harness.tick().items_failed == 1
        assert reservation(harness, run_id).status is ReservationStatus.RELEASED
        assert budget_day(harness).reserved_gbp == 0
        harness.clock.advance(timedelta(seconds=1))
        assert harness.apply_result(succeeded(run_id)) is ResultOutcome.DUPLICATE
        assert reservation(harness, run_id).settled_gbp == Decimal("0.04")
        assert (budget_day(harness).spent_gbp, budget_day(harness).reserved_gbp) == (
            Decimal("0.04"),
            0,
        )

    def test_usage_after_midnight_is_charged_to_the_day_the_run_was_admitted(
        self, harness: Harness, alice: Actor
    ) -> None:
        harness.clock.advance(timedelta(hours=15, minutes=59))  # 23:59 UTC
        run_id = start_now(harness, alice)
        harness.clock.advance(timedelta(minutes=5))
        assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
        assert budget_day(harness, T0.date()).spent_gbp == Decimal("0.04")
        with harness.uow() as uow:
            assert uow.budget_days.get(T0.date() + timedelta(days=1)) is None

    def test_an_overrun_reported_after_midnight_holds_back_nothing_of_the_new_day(
        self, harness: Harness, alice: Actor
    ) -> None:
        """The overrun opens the breaker of the day the run was admitted, which is over:
        the new day's budget is fresh, its slots run, and nobody is told "today"."""
        harness.clock.advance(timedelta(hours=15, minutes=59))  # 23:59 UTC
        run_id = start_now(harness, alice)
        harness.clock.advance(timedelta(minutes=5))  # 00:04 UTC the next day
        usage = (ModelUsage("gpt-4o", 90_000, 30_000, Decimal("50.10")),)
        assert harness.apply_result(succeeded(run_id, usage=usage)) is ResultOutcome.PUBLISHED
        assert budget_day(harness, T0.date()).state(Decimal("50.00")) is BreakerState.OPEN
        assert [(e["day"], e["blockedItems"]) for e in events(harness, "daily_limit_exceeded")] == [
            (T0.date().isoformat(), 0)
        ]
        assert QueueStatus.BLOCKED not in [i.status for i in items(harness)]
        with harness.uow() as uow:
            kinds = [n.kind for n in uow.notifications.list_for_user("user_alice")]
        assert "daily_cost_limit_reached" not in kinds

    def test_an_overrun_records_the_truth_and_opens_the_breaker_for_the_day(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)
        usage = (ModelUsage("gpt-4o", 90_000, 30_000, Decimal("2.10")),)
        assert harness.apply_result(succeeded(run_id, usage=usage)) is ResultOutcome.PUBLISHED
        assert (budget_day(harness).spent_gbp, budget_day(harness).reserved_gbp) == (
            Decimal("2.10"),
            0,
        )
        assert events(harness, "cost_overrun") == [
            {"runId": run_id, "reservedGbp": "1.50", "reportedGbp": "2.10", "overrunGbp": "0.60"}
        ]
        assert [e["reason"] for e in events(harness, "daily_limit_exceeded")] == ["overrun"]
        assert budget_day(harness).state(Decimal("50.00")) is BreakerState.OPEN
        # Open for the rest of the day: the next slot is refused although £47.90 is left.
        harness.create_project(CreateProjectCommand(alice, "Next", "B", deliver_first_now=True))
        harness.tick()
        harness.run_dispatched()
        assert len(harness.generator.requests) == 1
        # By id: the first project's two slots (published; its 09:00 held back when the breaker
        # opened), then the new project's (refused at start; its 09:00, created after the
        # breaker opened, waits to be refused in turn).
        assert [i.status for i in items(harness)] == [
            QueueStatus.COMPLETED,
            QueueStatus.BLOCKED,
            QueueStatus.BLOCKED,
            QueueStatus.PENDING,
        ]
