"""The cost gate's rules (core/costs/budget.py): reserve, settle, release, the breaker.

A stateful hypothesis test drives any interleaving of reservations, settlements,
releases, limit changes and midnights against a model written from the rules, and
checks after every step that a granted reservation always fitted under the limit and
that each day reports the breaker state the rules give, and that the admins' alerts
are owed exactly when the rules say: each kind at most once a day.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
)

from manyfutures.core.costs.breaker import BreakerState
from manyfutures.core.costs.budget import (
    AlertKind,
    BudgetDay,
    CostAlert,
    CostReservation,
    ReservationStatus,
    utc_day,
)
from manyfutures.core.costs.model import Operation
from manyfutures.core.shared.errors import StateConflictError, ValidationError
from tests.support.builders import T0

pence = st.integers(min_value=1, max_value=2_000).map(lambda p: Decimal(p) / 100)
limits = st.integers(min_value=0, max_value=10_000).map(lambda p: Decimal(p) / 100)
reports = st.integers(min_value=0, max_value=3_000).map(lambda p: Decimal(p) / 100)


def expected_state(limit: Decimal, committed: Decimal, latched: bool) -> BreakerState:
    if latched or committed >= limit:
        return BreakerState.OPEN
    if committed * 5 >= limit * 4:
        return BreakerState.WARNING
    return BreakerState.CLOSED


class DayModel:
    """What the rules say a day holds, kept apart from the code under test."""

    def __init__(self) -> None:
        self.spent = Decimal("0")
        self.outstanding: dict[str, Decimal] = {}
        # The limit in force when the breaker opened: open while the limit stays at or below it.
        self.opened_at: Decimal | None = None
        self.alerts: list[AlertKind] = []

    @property
    def committed(self) -> Decimal:
        return self.spent + sum(self.outstanding.values(), Decimal("0"))

    def latched(self, limit: Decimal) -> bool:
        return self.opened_at is not None and limit <= self.opened_at

    def open(self, limit: Decimal) -> None:
        if not self.latched(limit):
            self.opened_at = limit

    def owed_alert(self, limit: Decimal, opened: bool) -> AlertKind | None:
        """The first opening of the day owes the limit alert (and no warning after it); the
        first step that leaves the day in the warning band owes the warning."""
        if opened and AlertKind.LIMIT_REACHED not in self.alerts:
            return AlertKind.LIMIT_REACHED
        warning = expected_state(limit, self.committed, self.latched(limit)) is BreakerState.WARNING
        if warning and not self.alerts:
            return AlertKind.APPROACHING
        return None

    def check_alert(self, alert: CostAlert | None, limit: Decimal, opened: bool) -> None:
        owed = self.owed_alert(limit, opened)
        assert (alert.kind if alert is not None else None) is owed
        if alert is not None:
            assert (alert.committed_gbp, alert.limit_gbp) == (self.committed, limit)
            self.alerts.append(alert.kind)


class CostGateMachine(RuleBasedStateMachine):
    granted = Bundle("granted")

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.limit = Decimal("50")
        self.days: dict[object, BudgetDay] = {}
        self.models: dict[object, DayModel] = {}
        self.count = 0

    def _today(self) -> tuple[BudgetDay, DayModel]:
        day = utc_day(self.now)
        if day not in self.days:
            self.days[day] = BudgetDay(organization_id="org_a", day=day)
            self.models[day] = DayModel()
        return self.days[day], self.models[day]

    @rule(target=granted, amount=pence)
    def reserve(self, amount: Decimal) -> object:
        budget, model = self._today()
        fits = not model.latched(self.limit) and model.committed + amount <= self.limit
        self.count += 1
        admission = budget.reserve(
            reservation_id=f"rsv_{self.count}",
            operation=Operation.EPISODE_GENERATION,
            amount_gbp=amount,
            run_id=f"run_{self.count}",
            limit_gbp=self.limit,
            now=self.now,
        )
        assert admission.granted is fits
        was_open = model.latched(self.limit)
        if not fits:
            model.open(self.limit)
            assert admission.opened is not was_open
            model.check_alert(admission.alert, self.limit, admission.opened)
            return multiple()
        reservation = admission.reservation
        assert reservation is not None
        # Never shrunk to fit: the whole amount, on today's date.
        assert (reservation.amount_gbp, reservation.day) == (amount, budget.day)
        model.outstanding[reservation.id] = amount
        # The gate's promise: whenever it grants, the day stays within its limit.
        assert budget.spent_gbp + budget.reserved_gbp <= self.limit
        if model.committed >= self.limit:
            model.open(self.limit)
        assert admission.opened is (model.latched(self.limit) and not was_open)
        model.check_alert(admission.alert, self.limit, admission.opened)
        return reservation

    @rule(reservation=granted, reported=reports)
    def settle(self, reservation: CostReservation, reported: Decimal) -> None:
        """Settled once (even after a release: late usage is still charged), never twice."""
        budget, model = self.days[reservation.day], self.models[reservation.day]
        if reservation.status is ReservationStatus.SETTLED:
            with pytest.raises(StateConflictError):
                budget.settle(reservation, reported, self.limit, self.now)
            return
        was_open = model.latched(self.limit)
        settlement = budget.settle(reservation, reported, self.limit, self.now)
        model.outstanding.pop(reservation.id, None)
        model.spent += reported
        overrun = max(reported - reservation.amount_gbp, Decimal("0"))
        assert settlement.overrun_gbp == overrun
        if overrun or model.committed >= self.limit:
            model.open(self.limit)
        assert settlement.opened is (model.latched(self.limit) and not was_open)
        model.check_alert(settlement.alert, self.limit, settlement.opened)

    @rule(reservation=granted)
    def release(self, reservation: CostReservation) -> None:
        budget, model = self.days[reservation.day], self.models[reservation.day]
        released = budget.release(reservation, self.now)
        assert released is (model.outstanding.pop(reservation.id, None) is not None)

    @rule(limit=limits)
    def change_limit(self, limit: Decimal) -> None:
        self.limit = limit

    @rule(minutes=st.integers(min_value=1, max_value=24 * 60))
    def time_passes(self, minutes: int) -> None:
        """Midnight may pass: reservations made before it are settled against their own day."""
        self.now += timedelta(minutes=minutes)

    @invariant()
    def every_day_adds_up_and_reports_its_state(self) -> None:
        for day, budget in self.days.items():
            model = self.models[day]
            assert budget.spent_gbp == model.spent
            assert budget.reserved_gbp == sum(model.outstanding.values(), Decimal("0"))
            assert budget.state(self.limit) is expected_state(
                self.limit, model.committed, model.latched(self.limit)
            )
            # Once a day each: what the admins are told, however the day went.
            assert len(model.alerts) == len(set(model.alerts))
            assert (budget.warned_at is not None) is bool(model.alerts)
            assert (budget.limit_alerted_at is not None) is (
                AlertKind.LIMIT_REACHED in model.alerts
            )


CostGateMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40)
TestCostGate = CostGateMachine.TestCase


def a_day(**overrides: object) -> BudgetDay:
    return BudgetDay(organization_id="org_a", day=T0.date(), **overrides)  # type: ignore[arg-type]


def reserve(day: BudgetDay, amount: str, limit: str = "50") -> CostReservation | None:
    return day.reserve(
        reservation_id=f"rsv_{amount}",
        operation=Operation.EPISODE_GENERATION,
        amount_gbp=Decimal(amount),
        run_id=None,
        limit_gbp=Decimal(limit),
        now=T0,
    ).reservation


def test_a_reservation_is_never_shrunk_to_fit_what_is_left() -> None:
    day = a_day(spent_gbp=Decimal("49.00"))
    assert reserve(day, "1.50") is None
    assert day.reserved_gbp == 0
    assert day.state(Decimal("50")) is BreakerState.OPEN  # the refusal opened it


def test_reaching_the_limit_exactly_is_granted_and_opens_the_breaker() -> None:
    day = a_day(spent_gbp=Decimal("48.50"))
    assert reserve(day, "1.50") is not None
    assert day.opened_at_limit_gbp == Decimal("50")
    assert reserve(day, "0.01") is None


def test_a_release_does_not_close_an_open_breaker_but_a_higher_limit_does() -> None:
    day = a_day()
    held = reserve(day, "50.00")
    assert held is not None
    assert day.release(held, T0)
    assert day.reserved_gbp == 0
    assert day.state(Decimal("50")) is BreakerState.OPEN
    assert reserve(day, "1.00") is None
    assert day.state(Decimal("50.01")) is BreakerState.CLOSED
    assert reserve(day, "1.00", limit="50.01") is not None


def test_settling_after_midnight_charges_the_day_the_reservation_was_made() -> None:
    before_midnight = T0.replace(hour=23, minute=58)
    day = BudgetDay(organization_id="org_a", day=utc_day(before_midnight))
    admission = day.reserve(
        reservation_id="rsv_1",
        operation=Operation.EPISODE_GENERATION,
        amount_gbp=Decimal("1.50"),
        run_id="run_1",
        limit_gbp=Decimal("50"),
        now=before_midnight,
    )
    assert admission.reservation is not None
    settlement = day.settle(
        admission.reservation,
        Decimal("0.40"),
        Decimal("50"),
        before_midnight + timedelta(minutes=5),
    )
    assert (day.spent_gbp, day.reserved_gbp, settlement.overrun_gbp) == (Decimal("0.40"), 0, 0)
    other_day = BudgetDay(organization_id="org_a", day=utc_day(before_midnight) + timedelta(1))
    with pytest.raises(StateConflictError):
        other_day.release(admission.reservation, T0)


def test_an_overrun_records_the_truth_and_opens_the_breaker() -> None:
    day = a_day()
    held = reserve(day, "1.50")
    assert held is not None
    settlement = day.settle(held, Decimal("2.10"), Decimal("50"), T0)
    assert (settlement.overrun_gbp, settlement.opened) == (Decimal("0.60"), True)
    assert (day.spent_gbp, day.reserved_gbp) == (Decimal("2.10"), 0)
    assert day.state(Decimal("50")) is BreakerState.OPEN


def test_usage_after_a_release_is_still_charged_to_its_day() -> None:
    day = a_day()
    held = reserve(day, "1.50")
    assert held is not None
    assert day.release(held, T0)
    assert not day.release(held, T0)
    day.settle(held, Decimal("0.30"), Decimal("50"), T0)
    assert (day.spent_gbp, day.reserved_gbp, held.settled_gbp) == (
        Decimal("0.30"),
        0,
        Decimal("0.30"),
    )
    assert not day.release(held, T0)


@pytest.mark.parametrize("amount", ["0", "-1", "NaN", "Infinity"])
def test_a_reservation_must_be_a_positive_amount(amount: str) -> None:
    with pytest.raises(ValidationError):
        reserve(a_day(), amount)
