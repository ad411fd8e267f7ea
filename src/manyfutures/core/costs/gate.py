"""The cost gate inside one organization's unit of work: reserve, settle, release.

The rules are budget.py's; these functions add the locking order that makes them
hold under concurrency. A day is locked before it is read, and a reservation is
read again once its day is locked: every change to a reservation happens under its
day's lock, so of a late callback settling a run and lease recovery releasing it,
the second sees what the first did and never counts the money twice.

The limit is the caller's to read (it lives on the organization, which this
capability does not see); the gate itself works inside the one tenant.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from manyfutures.core.costs.budget import (
    Admission,
    BudgetDay,
    CostReservation,
    Settlement,
    utc_day,
)
from manyfutures.core.costs.model import Operation
from manyfutures.core.costs.ports import BudgetStore
from manyfutures.core.shared.ports import IdGenerator

RESERVATION_ID_PREFIX = "rsv"


def reserve(
    uow: BudgetStore,
    ids: IdGenerator,
    *,
    operation: Operation,
    amount_gbp: Decimal,
    run_id: str | None,
    limit_gbp: Decimal,
    now: datetime,
) -> Admission:
    """Reserve ``amount_gbp`` on today's budget, or refuse; nothing is written unless the
    caller commits, and the day stays locked until it does."""
    day = uow.budget_days.lock(utc_day(now))
    admission = day.reserve(
        reservation_id=ids.new_id(RESERVATION_ID_PREFIX),
        operation=operation,
        amount_gbp=amount_gbp,
        run_id=run_id,
        limit_gbp=limit_gbp,
        now=now,
    )
    if admission.reservation is not None:
        uow.cost_reservations.add(admission.reservation)
    if admission.granted or admission.opened:
        uow.budget_days.update(day)
    return admission


def settle_run(
    uow: BudgetStore, run_id: str, reported_gbp: Decimal, limit_gbp: Decimal, now: datetime
) -> Settlement:
    """Charge what a run reported to the day its reservation was made (or, for a run
    without one, to today). The caller records the run's usage once; this follows it."""
    locked = _lock_reservation_of_run(uow, run_id)
    if locked is None:
        day = uow.budget_days.lock(utc_day(now))
        settlement = day.charge(reported_gbp, limit_gbp, now)
    else:
        day, reservation = locked
        settlement = day.settle(reservation, reported_gbp, limit_gbp, now)
        uow.cost_reservations.update(reservation)
    uow.budget_days.update(day)
    return settlement


def release_run(uow: BudgetStore, run_id: str, now: datetime) -> CostReservation | None:
    """Give back a run's reservation if it is still outstanding; the released one, or None."""
    locked = _lock_reservation_of_run(uow, run_id)
    if locked is None:
        return None
    day, reservation = locked
    if not day.release(reservation, now):
        return None
    uow.cost_reservations.update(reservation)
    uow.budget_days.update(day)
    return reservation


def _lock_reservation_of_run(
    uow: BudgetStore, run_id: str
) -> tuple[BudgetDay, CostReservation] | None:
    found = uow.cost_reservations.for_run(run_id)
    if found is None:
        return None
    day = uow.budget_days.lock(found.day)
    # Read again under the day's lock: what it was before the lock may have changed since.
    current = uow.cost_reservations.for_run(run_id)
    assert current is not None  # reservations are never deleted
    return day, current
