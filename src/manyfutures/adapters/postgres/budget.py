"""The cost gate in PostgreSQL: one budget row per organization and UTC day, and the
reservations made against it.

Reserving is atomic because the day's row is locked before it is read: ``lock``
upserts it (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, one round trip), which
takes its row lock whether the row was just created or already there. A second
transaction of the same organization reserving on the same day waits on that lock,
and under READ COMMITTED its statement then returns the row as the first one
committed it: spent + reserved is never read stale. The lock is held until the unit
of work ends; other days and other organizations never wait for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    Date,
    ForeignKeyConstraint,
    Index,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    column_values,
    one_of,
    org_fk,
    table_of,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.costs import ports
from manyfutures.core.costs.budget import BudgetDay, CostReservation, ReservationStatus
from manyfutures.core.costs.model import Operation
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class BudgetDayRow(Base):
    """The gate's ledger for one organization and UTC day; written only under its row lock."""

    __tablename__ = "budget_days"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    spent_gbp: Mapped[Decimal]
    reserved_gbp: Mapped[Decimal]
    opened_at_limit_gbp: Mapped[Decimal | None]
    opened_at: Mapped[dt.datetime | None]
    warned_at: Mapped[dt.datetime | None]
    limit_alerted_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("spent_gbp >= 0 AND reserved_gbp >= 0", name="amounts_not_negative"),
    )


class CostReservationRow(Base):
    """One operation's reserved ceiling; ``run_id`` is a ledger reference, not a foreign key
    (like ``token_usage.run_id``). Its day row must exist: the reservation was made on it."""

    __tablename__ = "cost_reservations"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    operation: Mapped[str]
    amount_gbp: Mapped[Decimal]
    day: Mapped[dt.date] = mapped_column(Date())
    run_id: Mapped[str | None] = mapped_column(ID_TYPE)
    status: Mapped[str]
    settled_gbp: Mapped[Decimal | None]
    created_at: Mapped[Timestamp]
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "day"], ["budget_days.organization_id", "budget_days.day"]
        ),
        Index("ix_cost_reservations_organization_id_day", "organization_id", "day"),
        # One reservation per run; NULL run ids (operations without runs) do not collide.
        Index(
            "uq_cost_reservations_organization_id_run_id", "organization_id", "run_id", unique=True
        ),
        one_of("operation", Operation),
        one_of("status", ReservationStatus),
        CheckConstraint("amount_gbp > 0", name="amount_positive"),
        CheckConstraint("settled_gbp >= 0", name="settled_not_negative"),
    )


# --- statements ---------------------------------------------------------------------------

_days = table_of(BudgetDayRow)
_day_key = (_days.c.organization_id == ORG, _days.c.day == bindparam("key_day"))
_insert_day = insert(_days).values(
    organization_id=ORG, day=bindparam("key_day"), spent_gbp=0, reserved_gbp=0
)
# DO UPDATE (a no-op SET), not DO NOTHING: it locks the existing row and RETURNING gives it.
LOCK_DAY = _insert_day.on_conflict_do_update(
    index_elements=[_days.c.organization_id, _days.c.day],
    set_={"spent_gbp": _days.c.spent_gbp},
).returning(*_days.c)
DAY = select(_days).where(*_day_key)
UPDATE_DAY = update(_days).where(*_day_key)

_reservations = table_of(CostReservationRow)
_mine = select(_reservations).where(_reservations.c.organization_id == ORG)
RESERVATION = _mine.where(_reservations.c.id == bindparam("id"))
RESERVATION_FOR_RUN = _mine.where(_reservations.c.run_id == bindparam("run_id"))
RESERVATIONS_FOR_DAY = _mine.where(_reservations.c.day == bindparam("day")).order_by(
    _reservations.c.id
)


# --- mappers ------------------------------------------------------------------------------


def budget_day_to_row(b: BudgetDay) -> BudgetDayRow:
    return BudgetDayRow(
        organization_id=b.organization_id,
        day=b.day,
        spent_gbp=b.spent_gbp,
        reserved_gbp=b.reserved_gbp,
        opened_at_limit_gbp=b.opened_at_limit_gbp,
        opened_at=b.opened_at,
        warned_at=b.warned_at,
        limit_alerted_at=b.limit_alerted_at,
    )


def budget_day_from_row(r: BudgetDayRow) -> BudgetDay:
    return BudgetDay(
        organization_id=r.organization_id,
        day=r.day,
        spent_gbp=r.spent_gbp,
        reserved_gbp=r.reserved_gbp,
        opened_at_limit_gbp=r.opened_at_limit_gbp,
        opened_at=r.opened_at,
        warned_at=r.warned_at,
        limit_alerted_at=r.limit_alerted_at,
    )


def reservation_to_row(r: CostReservation) -> CostReservationRow:
    return CostReservationRow(
        id=r.id,
        organization_id=r.organization_id,
        operation=r.operation.value,
        amount_gbp=r.amount_gbp,
        day=r.day,
        run_id=r.run_id,
        status=r.status.value,
        settled_gbp=r.settled_gbp,
        created_at=r.created_at,
        finished_at=r.finished_at,
    )


def reservation_from_row(r: CostReservationRow) -> CostReservation:
    return CostReservation(
        id=r.id,
        organization_id=r.organization_id,
        operation=Operation(r.operation),
        amount_gbp=r.amount_gbp,
        day=r.day,
        run_id=r.run_id,
        status=ReservationStatus(r.status),
        settled_gbp=r.settled_gbp,
        created_at=r.created_at,
        finished_at=r.finished_at,
    )


# --- repositories -------------------------------------------------------------------------


class BudgetDayRepository(Repository, ports.BudgetDayRepository):
    def lock(self, day: dt.date) -> BudgetDay:
        parameters = {"org": self._org, "key_day": day}
        # A Core row, like those ``rows()`` gives: it answers the row class's attributes.
        row: Any = self._uow.now(lambda connection: connection.execute(LOCK_DAY, parameters).one())
        return budget_day_from_row(row)

    def get(self, day: dt.date) -> BudgetDay | None:
        return self._uow.first(DAY, budget_day_from_row, key_day=day)

    def update(self, budget: BudgetDay) -> None:
        values = column_values(budget_day_to_row(budget))
        self._uow.check_tenant(_days, values)
        parameters = {
            "org": self._org,
            "key_day": values.pop("day"),
            **{name: value for name, value in values.items() if name != "organization_id"},
        }

        def run(connection: Connection) -> None:
            if connection.execute(UPDATE_DAY, parameters).rowcount != 1:
                raise NotFoundError("budget day", str(budget.day))

        self._uow.later(run)


class CostReservationRepository(Repository, ports.CostReservationRepository):
    def add(self, reservation: CostReservation) -> None:
        self._uow.insert(reservation_to_row(reservation))

    def get(self, reservation_id: str) -> CostReservation | None:
        return self._uow.first(RESERVATION, reservation_from_row, id=reservation_id)

    def for_run(self, run_id: str) -> CostReservation | None:
        return self._uow.first(RESERVATION_FOR_RUN, reservation_from_row, run_id=run_id)

    def list_for_day(self, day: dt.date) -> Sequence[CostReservation]:
        return [reservation_from_row(r) for r in self._uow.rows(RESERVATIONS_FOR_DAY, day=day)]

    def update(self, reservation: CostReservation) -> None:
        self._update(
            reservation_to_row(reservation),
            on_missing=lambda _: NotFoundError("cost reservation", reservation.id),
        )
