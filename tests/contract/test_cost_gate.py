"""The cost gate's storage: budget days locked while a reservation is decided, and the
reservations themselves, the same on every adapter.

``budget_days.lock`` holds an organization's day until the unit of work ends, so
checking the budget and reserving is one atomic step: a second reserver waits, then
reads what the first committed. Threads race here on both adapters; the 8-process
race against PostgreSQL is tests/integration/postgres/test_cost_gate_race.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from manyfutures.core.costs import gate
from manyfutures.core.costs.budget import Admission, ReservationStatus, utc_day
from manyfutures.core.costs.model import Operation
from manyfutures.core.shared.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
)
from manyfutures.core.storage import StorageUnitOfWork
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support.builders import T0
from tests.support.fakes import SequentialIds

GRACE = 0.3  # how long the other unit of work gets to (wrongly) go ahead
SIZE = Decimal("1.50")


def reserve(
    uow: StorageUnitOfWork,
    ids: SequentialIds,
    run_id: str | None,
    limit: str = "50",
    amount: Decimal = SIZE,
    now: object = T0,
) -> Admission:
    return gate.reserve(
        uow,
        ids,
        operation=Operation.EPISODE_GENERATION,
        amount_gbp=amount,
        run_id=run_id,
        limit_gbp=Decimal(limit),
        now=now,  # type: ignore[arg-type]
    )


def test_a_granted_reservation_is_stored_with_its_day(storage: Storage) -> None:
    seed(storage)
    ids = SequentialIds()
    with storage.uow("org_a") as uow:
        admission = reserve(uow, ids, "run_1")
        assert admission.granted
        uow.commit()
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        assert day is not None
        assert (day.spent_gbp, day.reserved_gbp, day.opened_at_limit_gbp) == (0, SIZE, None)
        stored = uow.cost_reservations.for_run("run_1")
        assert stored == admission.reservation
        assert stored is not None
        assert uow.cost_reservations.get(stored.id) == stored
        assert uow.cost_reservations.list_for_day(T0.date()) == [stored]
        assert uow.cost_reservations.for_run("run_other") is None


def test_nothing_is_reserved_without_commit(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert reserve(uow, SequentialIds(), "run_1").granted
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        assert day is None or day.reserved_gbp == 0
        assert uow.cost_reservations.for_run("run_1") is None


def test_a_refusal_is_stored_as_the_breaker_opening(storage: Storage) -> None:
    seed(storage)
    ids = SequentialIds()
    with storage.uow("org_a") as uow:
        assert reserve(uow, ids, "run_1", limit="2").granted
        refused = reserve(uow, ids, "run_2", limit="2")
        assert (refused.granted, refused.opened) == (False, True)
        uow.commit()
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        assert day is not None
        assert (day.reserved_gbp, day.opened_at_limit_gbp, day.opened_at) == (SIZE, 2, T0)
        assert uow.cost_reservations.for_run("run_2") is None


def test_a_second_reserver_waits_for_the_first_and_sees_its_reservation(
    storage: Storage,
) -> None:
    seed(storage)
    events: list[str] = []
    seen: list[Decimal] = []

    def second() -> None:
        with storage.uow("org_a") as uow:
            day = uow.budget_days.lock(T0.date())
            events.append("second locked")
            seen.append(day.reserved_gbp)

    ids = SequentialIds()
    with storage.uow("org_a") as first:
        assert reserve(first, ids, "run_1").granted
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=GRACE)
        events.append("first committed")
        first.commit()
    other.join(timeout=10)
    assert events == ["first committed", "second locked"]
    assert seen == [SIZE]


def test_another_day_and_another_organization_are_not_held_up(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    locked: list[str] = []

    def elsewhere(org: str, day_offset: int) -> None:
        with storage.uow(org) as uow:
            uow.budget_days.lock(T0.date() + timedelta(days=day_offset))
            locked.append(f"{org}+{day_offset}")

    with storage.uow("org_a") as first:
        first.budget_days.lock(T0.date())
        for org, offset in (("org_a", 1), ("org_b", 0)):
            other = threading.Thread(target=elsewhere, args=(org, offset))
            other.start()
            other.join(timeout=10)
    assert locked == ["org_a+1", "org_b+0"]
    with storage.uow("org_b") as uow:
        assert uow.cost_reservations.list_for_day(T0.date()) == []


def test_racing_reservers_never_pass_the_limit(storage: Storage) -> None:
    """Twelve threads, room for exactly five reservations: five granted, seven refused."""
    seed(storage)
    ids = SequentialIds()
    start = threading.Barrier(12)
    outcomes: list[bool] = []

    def racer(n: int) -> None:
        start.wait(10)
        with storage.uow("org_a") as uow:
            admission = reserve(uow, ids, f"run_{n}", limit="7.50")
            uow.commit()
            outcomes.append(admission.granted)

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [False] * 7 + [True] * 5
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        reservations = uow.cost_reservations.list_for_day(T0.date())
    assert day is not None
    assert len(reservations) == 5
    assert day.reserved_gbp == sum(r.amount_gbp for r in reservations) == Decimal("7.50")


def test_settling_after_midnight_charges_the_day_it_was_reserved(storage: Storage) -> None:
    seed(storage)
    ids = SequentialIds()
    late = T0.replace(hour=23, minute=59)
    with storage.uow("org_a") as uow:
        assert reserve(uow, ids, "run_1", now=late).granted
        assert reserve(uow, ids, "run_2", now=late).granted
        uow.commit()
    after_midnight = late + timedelta(minutes=4)
    with storage.uow("org_a") as uow:
        settlement = gate.settle_run(uow, "run_1", Decimal("0.40"), Decimal("50"), after_midnight)
        assert settlement.overrun_gbp == 0
        released = gate.release_run(uow, "run_2", after_midnight)
        assert released is not None
        assert gate.release_run(uow, "run_2", after_midnight) is None  # already released
        uow.commit()
    with storage.uow("org_a") as uow:
        reserved_on = uow.budget_days.get(utc_day(late))
        assert reserved_on is not None
        assert (reserved_on.spent_gbp, reserved_on.reserved_gbp) == (Decimal("0.40"), 0)
        assert uow.budget_days.get(utc_day(after_midnight)) is None
        first = uow.cost_reservations.for_run("run_1")
        second = uow.cost_reservations.for_run("run_2")
        assert first is not None and second is not None
        assert (first.status, first.settled_gbp, first.finished_at) == (
            ReservationStatus.SETTLED,
            Decimal("0.40"),
            after_midnight,
        )
        assert (second.status, second.settled_gbp) == (ReservationStatus.RELEASED, None)


def test_usage_of_a_run_without_a_reservation_is_charged_to_today(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        settlement = gate.settle_run(uow, "run_old", Decimal("0.25"), Decimal("50"), T0)
        assert settlement.reservation is None
        uow.commit()
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        assert day is not None
        assert day.spent_gbp == Decimal("0.25")


def test_a_run_has_one_reservation(storage: Storage) -> None:
    seed(storage)
    ids = SequentialIds()
    with storage.uow("org_a") as uow:
        assert reserve(uow, ids, "run_1").granted
        uow.commit()
    with pytest.raises(DuplicateError), storage.uow("org_a") as uow:
        assert reserve(uow, ids, "run_1").granted
        uow.commit()


def test_a_release_racing_a_settlement_counts_the_money_once(storage: Storage) -> None:
    """Lease recovery releasing a run while its late callback settles it: whichever goes
    second sees what the first did (the reservation is read again under the day's lock)."""
    seed(storage)
    ids = SequentialIds()
    with storage.uow("org_a") as uow:
        assert reserve(uow, ids, "run_1").granted
        uow.commit()
    read_before_lock = threading.Event()
    released: list[object] = []

    def recovery() -> None:
        with storage.uow("org_a") as uow:
            assert uow.cost_reservations.for_run("run_1") is not None
            read_before_lock.set()
            released.append(gate.release_run(uow, "run_1", T0))
            uow.commit()
            released.append("committed")

    with storage.uow("org_a") as callback:
        gate.settle_run(callback, "run_1", Decimal("1.20"), Decimal("50"), T0)
        other = threading.Thread(target=recovery)
        other.start()
        assert read_before_lock.wait(10)
        other.join(timeout=GRACE)
        callback.commit()
    other.join(timeout=10)
    assert released == [None, "committed"]  # nothing left to release, and no error
    with storage.uow("org_a") as uow:
        day = uow.budget_days.get(T0.date())
        stored = uow.cost_reservations.for_run("run_1")
    assert day is not None and stored is not None
    assert (day.spent_gbp, day.reserved_gbp) == (Decimal("1.20"), 0)
    assert stored.status is ReservationStatus.SETTLED


def test_writing_another_organizations_budget_day_is_refused_and_changes_nothing(
    storage: Storage,
) -> None:
    """Refused as a domain error (memory: its day is not visible here; PostgreSQL: the
    tenant check, which names a row by its primary key: a budget day has no id column),
    never a crash, and the other organization's day keeps its figures."""
    seed(storage, "org_a")
    seed(storage, "org_b")
    with storage.uow("org_a") as uow:
        theirs = uow.budget_days.lock(T0.date())
        uow.commit()
    theirs.spent_gbp = Decimal("1.00")
    with (
        storage.uow("org_b") as uow,
        pytest.raises((PermissionDeniedError, NotFoundError), match="org_a"),
    ):
        uow.budget_days.update(theirs)
        uow.commit()
    with storage.uow("org_a") as uow:
        stored = uow.budget_days.get(T0.date())
    assert stored is not None and stored.spent_gbp == 0
