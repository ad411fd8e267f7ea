"""The cost gate in memory: budget days locked like PostgreSQL's rows, and reservations.

``lock`` takes the unit of work's row lock on the (organization, day) key before it
reads, the fake's ``SELECT … FOR UPDATE``: a second unit of work reserving on the
same day waits until the first commits or rolls back, then reads what it committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.costs.budget import BudgetDay, CostReservation
from manyfutures.core.shared.errors import DuplicateError


@dataclass(slots=True)
class StoredBudgetDay:
    """A budget day under its key: Postgres's composite primary key (organization, day)."""

    id: str
    organization_id: str
    budget: BudgetDay

    @classmethod
    def of(cls, budget: BudgetDay) -> StoredBudgetDay:
        return cls(key(budget.organization_id, budget.day), budget.organization_id, budget)


def key(organization_id: str, day: date) -> str:
    return f"{organization_id}/{day.isoformat()}"


def _check_one_reservation_per_run(uow: Transaction) -> None:
    """Postgres's unique index on (organization, run)."""
    committed = uow.store.tables["cost_reservations"]
    for reservation in uow.staged.get("cost_reservations", {}).values():
        if reservation.run_id is None:
            continue
        for other in [*committed.values(), *uow.staged["cost_reservations"].values()]:
            if other.id != reservation.id and (other.organization_id, other.run_id) == (
                reservation.organization_id,
                reservation.run_id,
            ):
                raise DuplicateError(f"run {reservation.run_id} already has a reservation")


BUDGET_DAYS = MemoryTable("budget_days")
COST_RESERVATIONS = MemoryTable("cost_reservations", check=_check_one_reservation_per_run)


class BudgetDayRepository:
    table: ClassVar[MemoryTable] = BUDGET_DAYS

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[StoredBudgetDay] = TableView(uow, self.table)

    def lock(self, day: date) -> BudgetDay:
        day_key = key(self._uow.organization_id, day)
        self._uow.lock_row(self.table.name, day_key)
        stored = self._rows.get(day_key)
        if stored is not None:
            return stored.budget
        budget = BudgetDay(organization_id=self._uow.organization_id, day=day)
        self._rows.insert(StoredBudgetDay.of(budget))
        return budget

    def get(self, day: date) -> BudgetDay | None:
        stored = self._rows.get(key(self._uow.organization_id, day))
        return stored.budget if stored is not None else None

    def update(self, budget: BudgetDay) -> None:
        self._rows.update(StoredBudgetDay.of(budget))


class CostReservationRepository:
    table: ClassVar[MemoryTable] = COST_RESERVATIONS

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[CostReservation] = TableView(uow, self.table)

    def add(self, reservation: CostReservation) -> None:
        self._rows.insert(reservation)

    def get(self, reservation_id: str) -> CostReservation | None:
        return self._rows.get(reservation_id)

    def for_run(self, run_id: str) -> CostReservation | None:
        return next((r for r in self._rows.rows() if r.run_id == run_id), None)

    def list_for_day(self, day: date) -> Sequence[CostReservation]:
        return sorted((r for r in self._rows.rows() if r.day == day), key=lambda r: r.id)

    def update(self, reservation: CostReservation) -> None:
        self._rows.update(reservation)
