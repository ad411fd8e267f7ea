"""The cost gate's alerts and the day's end, through the real use cases over memory storage
(and again over PostgreSQL: tests/integration/postgres/test_cost_alerts_pipeline.py).

The admins hear twice a day at most: when the day's committed amount (spent plus
reserved) reaches 80 % of the limit, and when the breaker opens, each recorded on the
day's budget row by the reservation that crossed it. Slots held back by the breaker
are not run late: once their UTC day is over they are skipped, and the reader told.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.day_end import SKIPPED
from manyfutures.core.generation.use_cases import ModelUsage, ResultOutcome
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.outbox.ports import EmailMessage
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Actor, Role
from tests.support.builders import T0
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_cost_gate import (
    budget_day,
    create_due_projects,
    events,
    items,
    set_limit,
)
from tests.unit.use_cases.test_generation_pipeline import start_now, succeeded

WARNING_SUBJECT = "Org org_a has used 80 % of today's AI cost limit"
LIMIT_SUBJECT = "Org org_a has reached today's AI cost limit"
NEXT_MIDNIGHT = datetime(2026, 1, 6, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 1, 12, 9, tzinfo=UTC)  # the projects' weekly slot


def delivered(harness: Harness) -> list[tuple[str, str]]:
    """The cost alerts sent so far (recipient, subject); other mail is left out."""
    harness.dispatch_outbox()
    sent: list[EmailMessage] = harness.email.sent
    return sorted((mail.to, mail.subject) for mail in sent if "cost limit" in mail.subject)


def notifications(harness: Harness, user: str, org: str = "org_a") -> list[str]:
    with harness.uow(org) as uow:
        return sorted(n.kind for n in uow.notifications.list_for_user(user))


def start_due(harness: Harness) -> None:
    harness.tick()
    harness.run_dispatched()


class TestAlerts:
    @pytest.fixture(autouse=True)
    def admins(self, harness: Harness, alice: Actor) -> None:
        """Two admins (alice and carol) and a member (dave), who is never alerted."""
        harness.member("org_a", "user_carol", Role.ADMIN)
        harness.member("org_a", "user_dave")

    def test_each_admin_is_warned_once_at_80_percent_and_told_once_at_the_limit(
        self, harness: Harness, alice: Actor
    ) -> None:
        set_limit(harness, "7.50")  # five reservations of 1.50; the fourth reaches 80 %
        create_due_projects(harness, alice, 3)
        start_due(harness)
        assert delivered(harness) == []  # 4.50 of 7.50: 60 %
        create_due_projects(harness, alice, 4)
        harness.clock.advance(timedelta(seconds=1))
        start_due(harness)  # 6.00 (warning), 7.50 (the limit), then two refusals
        assert len(harness.generator.requests) == 5
        assert delivered(harness) == [
            ("user_alice@example.org", LIMIT_SUBJECT),
            ("user_alice@example.org", WARNING_SUBJECT),
            ("user_carol@example.org", LIMIT_SUBJECT),
            ("user_carol@example.org", WARNING_SUBJECT),
        ]
        for admin in ("user_alice", "user_carol"):
            assert notifications(harness, admin) == [
                "daily_cost_approaching",
                "daily_cost_limit_reached",
            ]
        assert notifications(harness, "user_dave") == []
        assert events(harness, "approaching_limit") == [
            {"day": "2026-01-05", "committedGbp": "6.00", "limitGbp": "7.50"}
        ]
        day = budget_day(harness)
        assert day.warned_at is not None and day.limit_alerted_at is not None

    def test_a_breaker_reopened_after_a_raise_alerts_nobody_again_that_day(
        self, harness: Harness, alice: Actor
    ) -> None:
        set_limit(harness, "3.00")
        create_due_projects(harness, alice, 3)
        start_due(harness)  # 1.50, 3.00 (the limit; one mail each), then a refusal
        assert len(delivered(harness)) == 2
        update = harness.container.identity.update_organization()
        update(UpdateOrganizationCommand(alice, daily_cost_limit_gbp="3.50"))
        harness.clock.advance(timedelta(seconds=1))
        start_due(harness)  # the resumed slot: 4.50 > 3.50, refused, the breaker opens again
        assert [e["reason"] for e in events(harness, "daily_limit_exceeded")] == [
            "limit_reached",
            "reservation_refused",
        ]
        assert len(delivered(harness)) == 2
        assert notifications(harness, "user_carol") == ["daily_cost_limit_reached"]

    def test_a_step_straight_to_the_limit_sends_only_the_limit_alert(
        self, harness: Harness, alice: Actor
    ) -> None:
        run_id = start_now(harness, alice)  # 1.50 of 50.00
        usage = (ModelUsage("gpt-4o", 90_000, 30_000, Decimal("49.00")),)
        assert harness.apply_result(succeeded(run_id, usage=usage)) is ResultOutcome.PUBLISHED
        assert delivered(harness) == [
            ("user_alice@example.org", LIMIT_SUBJECT),
            ("user_carol@example.org", LIMIT_SUBJECT),
        ]
        assert events(harness, "approaching_limit") == []

    def test_a_new_day_alerts_again(self, harness: Harness, alice: Actor) -> None:
        set_limit(harness, "1.50")
        start_now(harness, alice)
        harness.clock.advance(timedelta(days=1))
        harness.create_project(CreateProjectCommand(alice, "Next", "B", deliver_first_now=True))
        start_due(harness)
        assert delivered(harness).count(("user_alice@example.org", LIMIT_SUBJECT)) == 2


class TestDayEnd:
    def fill_the_day(self, harness: Harness, alice: Actor) -> list[str]:
        """Limit 3.00: two runs start and publish, the third slot is refused and every
        09:00 slot held back: four blocked slots on 5 January. The started run ids."""
        set_limit(harness, "3.00")
        create_due_projects(harness, alice, 3)
        start_due(harness)
        run_ids = [request.run_id for request in harness.generator.requests]
        for run_id in run_ids:
            harness.apply_result(succeeded(run_id))
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4
        return run_ids

    def test_blocked_slots_wait_for_the_rest_of_their_day(
        self, harness: Harness, alice: Actor
    ) -> None:
        self.fill_the_day(harness, alice)
        harness.clock.set(NEXT_MIDNIGHT - timedelta(seconds=1))
        assert harness.tick().items_skipped == 0
        assert [i.status for i in items(harness)].count(QueueStatus.BLOCKED) == 4

    @pytest.mark.parametrize("beat_at_nine", [True, False], ids=["advanced", "not_advanced"])
    def test_at_the_days_end_blocked_slots_are_skipped_and_the_next_ones_run(
        self, harness: Harness, alice: Actor, beat_at_nine: bool
    ) -> None:
        """Whether or not the scheduler advanced the projects past their blocked 09:00 slots
        during the day (a beat at 09:00), none of them comes back on the next day."""
        self.fill_the_day(harness, alice)
        if beat_at_nine:
            harness.clock.set(T0 + timedelta(hours=1))
            assert harness.tick().projects_advanced == 3
        harness.clock.set(NEXT_MIDNIGHT)
        assert harness.tick().items_skipped == 4
        blocked = [i for i in items(harness) if i.last_error == "Daily limit exceeded"]
        assert [i.status for i in blocked] == [QueueStatus.CANCELLED] * 4
        with harness.uow() as uow:
            episodes = [uow.episodes.get(i.episode_id) for i in blocked]
        assert [(e.status, e.generation_errors[-1]) for e in episodes if e] == [
            (EpisodeStatus.FAILED, SKIPPED)
        ] * 4
        # One notification per project, however many of its slots were skipped.
        skipped = [k for k in notifications(harness, "user_alice") if k == "episode_skipped"]
        assert len(skipped) == 3
        assert len(events(harness, "episodes_skipped")) == 3
        assert harness.tick().items_skipped == 0
        # Each project's next occurrence (Monday 12 January, 09:00) waits, and runs on its
        # own day's budget; nothing of 5 January is put back in the queue.
        live = [i for i in items(harness) if i.status is QueueStatus.PENDING]
        assert [i.scheduled_for for i in live] == [NEXT_MONDAY] * 3
        harness.clock.set(NEXT_MONDAY)
        assert harness.tick().items_dispatched == 3
        harness.run_dispatched()  # the limit is still 3.00: two start, one is blocked
        assert len(harness.generator.requests) == 4
        assert budget_day(harness, NEXT_MONDAY.date()).reserved_gbp == Decimal("3.00")
