"""The cost gate's rules: reserve before spending, then settle or release.

Before an AI operation starts, its maximum cost is *reserved* against the
organization's budget for the UTC day: granted only if what that day has spent,
plus what it has reserved, plus this reservation stays within the daily limit;
otherwise refused. A reservation is never shrunk to fit what is left: an
operation runs with its whole ceiling reserved or not at all.

When the operation reports its usage the reservation is *settled*: the reserved
amount leaves the day's reservations and what was really spent joins its spend,
on the day the reservation was made (a run started at 23:58 that reports at
00:03 is charged to the day it was admitted on, which is the day whose limit
admitted it). An operation that fails without reporting usage, or outlives its
deadline, has its reservation *released*. Usage that arrives after a release is
still recorded, on the reservation's day: money really spent is never dropped.

The breaker opens (``BudgetDay.opened_at_limit_gbp``) when a reservation is
refused, when a reservation or a settlement takes the day to its limit, and when
an operation reports more than it reserved (an overrun). It stays open for the
rest of the day, releases notwithstanding, until the limit is raised above the
one it opened at.

The admins are alerted at most twice a day (``CostAlert``): when the committed
amount first reaches the warning share of the limit, and when the breaker first
opens. Each is recorded on the day (``warned_at``, ``limit_alerted_at``) by the step
that crossed it, under the day's lock, so of any number of workers crossing it at
once exactly one is told to send it, and a breaker reopened after a same-day raise
mails nobody again.

Every change to a day and to its reservations happens while that day is locked
(ports.py, ``BudgetDayRepository.lock``), which is what makes the check and the
reservation one atomic step for any number of workers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from manyfutures.core.costs.breaker import BreakerState, DailyBudget
from manyfutures.core.costs.model import Operation
from manyfutures.core.shared.errors import DomainError, StateConflictError, ValidationError

ZERO = Decimal("0")


def utc_day(now: datetime) -> date:
    """The day a budget belongs to: the UTC date, whatever the reader's time zone."""
    return now.astimezone(UTC).date()


def day_start(now: datetime) -> datetime:
    """00:00 UTC of ``now``'s budget day."""
    return datetime.combine(utc_day(now), time(0), tzinfo=UTC)


def next_reset(now: datetime) -> datetime:
    """When today's budget gives way to a fresh one: the next 00:00 UTC."""
    return datetime.combine(utc_day(now) + timedelta(days=1), time(0), tzinfo=UTC)


class DailyCostLimitReachedError(DomainError):
    """Something that would spend was asked for while the organization's breaker is open."""

    def __init__(self, resets_at: datetime, now: datetime) -> None:
        super().__init__(
            "the organization's daily cost limit is reached; "
            f"AI work resumes at {resets_at.isoformat()} (00:00 UTC) or when an admin raises it"
        )
        self.resets_at = resets_at
        # Whole seconds, rounded up: a client that waits this long finds the new day.
        self.retry_after_seconds = max(1, -(-(resets_at - now) // timedelta(seconds=1)))


def _check_amount(name: str, value: Decimal, *, positive: bool = False) -> None:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value < 0
        or (positive and value == 0)
    ):
        kind = "positive" if positive else "non-negative"
        raise ValidationError.for_field(name, f"{name} must be a {kind} Decimal")


class ReservationStatus(enum.StrEnum):
    RESERVED = "reserved"
    SETTLED = "settled"
    RELEASED = "released"


@dataclass(slots=True, kw_only=True)
class CostReservation:
    """One operation's reserved ceiling, on the UTC day it was made."""

    id: str
    organization_id: str
    operation: Operation
    amount_gbp: Decimal
    day: date
    # The generation run it pays for; its usage settles it (None for operations without runs).
    run_id: str | None
    status: ReservationStatus = ReservationStatus.RESERVED
    # What the operation reported it spent, once settled.
    settled_gbp: Decimal | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def outstanding(self) -> bool:
        return self.status is ReservationStatus.RESERVED

    @property
    def overrun_gbp(self) -> Decimal:
        """How much more than its reservation the operation reported (0 if it kept within)."""
        if self.settled_gbp is None:
            return ZERO
        return max(self.settled_gbp - self.amount_gbp, ZERO)


class AlertKind(enum.StrEnum):
    APPROACHING = "approaching"
    LIMIT_REACHED = "limit_reached"


@dataclass(frozen=True, slots=True)
class CostAlert:
    """What the admins are to be told, once a day per kind: the day's committed amount
    (spent plus reserved) against its limit, as the step that crossed it left them."""

    kind: AlertKind
    day: date
    committed_gbp: Decimal
    limit_gbp: Decimal


@dataclass(frozen=True, slots=True)
class Admission:
    """A reservation's outcome: granted (``reservation``) or refused (None)."""

    reservation: CostReservation | None
    # This call opened the breaker (the day reached its limit, or this refusal): tell people once.
    opened: bool
    # The alert this call is the first to owe today, if any.
    alert: CostAlert | None

    @property
    def granted(self) -> bool:
        return self.reservation is not None


@dataclass(frozen=True, slots=True)
class Settlement:
    reservation: CostReservation | None  # None: the usage had no reservation to settle
    charged_gbp: Decimal
    overrun_gbp: Decimal
    opened: bool
    alert: CostAlert | None


@dataclass(slots=True, kw_only=True)
class BudgetDay:
    """One organization's budget on one UTC day: what it spent, what is reserved, and
    whether its breaker is open.

    This is the gate's ledger, by the day each reservation was made; the usage
    ledger (``token_usage_daily``) keeps spend by the time it arrived. The two differ
    only by usage reported after midnight for a reservation made before it.
    """

    organization_id: str
    day: date
    spent_gbp: Decimal = ZERO
    reserved_gbp: Decimal = ZERO
    # The limit in force when the breaker opened; None while it has not opened today.
    opened_at_limit_gbp: Decimal | None = None
    opened_at: datetime | None = None
    # When the admins were told the day neared its limit, and that it reached it.
    warned_at: datetime | None = None
    limit_alerted_at: datetime | None = None

    def latched(self, limit_gbp: Decimal) -> bool:
        """Open for the day unless the limit was raised above the one it opened at."""
        return self.opened_at_limit_gbp is not None and limit_gbp <= self.opened_at_limit_gbp

    def budget(self, limit_gbp: Decimal) -> DailyBudget:
        return DailyBudget(limit_gbp, self.spent_gbp, self.reserved_gbp, self.latched(limit_gbp))

    def state(self, limit_gbp: Decimal) -> BreakerState:
        return self.budget(limit_gbp).state

    def reserve(
        self,
        *,
        reservation_id: str,
        operation: Operation,
        amount_gbp: Decimal,
        run_id: str | None,
        limit_gbp: Decimal,
        now: datetime,
    ) -> Admission:
        """Grant the whole amount if it fits under the limit, or refuse (and open the breaker)."""
        _check_amount("amount_gbp", amount_gbp, positive=True)
        if not self.budget(limit_gbp).allows(amount_gbp):
            opened = self._open(limit_gbp, now)
            return Admission(None, opened, self._alert(limit_gbp, now, opened))
        self.reserved_gbp += amount_gbp
        reservation = CostReservation(
            id=reservation_id,
            organization_id=self.organization_id,
            operation=operation,
            amount_gbp=amount_gbp,
            day=self.day,
            run_id=run_id,
            created_at=now,
        )
        opened = self._open_if_reached(limit_gbp, now)
        return Admission(reservation, opened, self._alert(limit_gbp, now, opened))

    def settle(
        self,
        reservation: CostReservation,
        reported_gbp: Decimal,
        limit_gbp: Decimal,
        now: datetime,
    ) -> Settlement:
        """Replace the reservation by what the operation reported it spent.

        A released reservation (its run timed out, then reported after all) is settled
        too: the money was spent, on this day. Settling twice is refused: the caller
        records a run's usage once.
        """
        _check_amount("reported_gbp", reported_gbp)
        self._expect_own(reservation)
        if reservation.status is ReservationStatus.SETTLED:
            raise StateConflictError(f"reservation {reservation.id} is already settled")
        if reservation.outstanding:
            self.reserved_gbp -= reservation.amount_gbp
        self.spent_gbp += reported_gbp
        reservation.status = ReservationStatus.SETTLED
        reservation.settled_gbp = reported_gbp
        reservation.finished_at = now
        overrun = reservation.overrun_gbp
        opened = self._open(limit_gbp, now) if overrun else self._open_if_reached(limit_gbp, now)
        return Settlement(
            reservation, reported_gbp, overrun, opened, self._alert(limit_gbp, now, opened)
        )

    def release(self, reservation: CostReservation, now: datetime) -> bool:
        """Give an unspent reservation back; False if it was already settled or released.

        The breaker stays as it is: a day that opened stays open.
        """
        self._expect_own(reservation)
        if not reservation.outstanding:
            return False
        self.reserved_gbp -= reservation.amount_gbp
        reservation.status = ReservationStatus.RELEASED
        reservation.finished_at = now
        return True

    def charge(self, amount_gbp: Decimal, limit_gbp: Decimal, now: datetime) -> Settlement:
        """Usage with no reservation behind it (a run opened before the gate existed):
        recorded all the same, and it may open the breaker."""
        _check_amount("amount_gbp", amount_gbp)
        self.spent_gbp += amount_gbp
        opened = self._open_if_reached(limit_gbp, now)
        return Settlement(None, amount_gbp, ZERO, opened, self._alert(limit_gbp, now, opened))

    def _expect_own(self, reservation: CostReservation) -> None:
        if (reservation.organization_id, reservation.day) != (self.organization_id, self.day):
            raise StateConflictError(
                f"reservation {reservation.id} belongs to {reservation.day}, not {self.day}"
            )

    def _open_if_reached(self, limit_gbp: Decimal, now: datetime) -> bool:
        if self.spent_gbp + self.reserved_gbp >= limit_gbp:
            return self._open(limit_gbp, now)
        return False

    def _alert(self, limit_gbp: Decimal, now: datetime, opened: bool) -> CostAlert | None:
        """The alert this step is the first to owe today, recorded on the day as owed.

        The breaker's first opening today owes the limit alert; a step that jumps past the
        warning share straight to the limit owes only that one (it says more), and no
        warning follows it. Reaching the warning share owes the warning. A breaker opened
        again after a same-day raise, or a day warned already, owes nothing.
        """
        kind: AlertKind | None = None
        if opened and self.limit_alerted_at is None:
            self.limit_alerted_at = now
            self.warned_at = self.warned_at or now
            kind = AlertKind.LIMIT_REACHED
        elif self.warned_at is None and self.state(limit_gbp) is BreakerState.WARNING:
            self.warned_at = now
            kind = AlertKind.APPROACHING
        if kind is None:
            return None
        return CostAlert(kind, self.day, self.spent_gbp + self.reserved_gbp, limit_gbp)

    def _open(self, limit_gbp: Decimal, now: datetime) -> bool:
        """Open the breaker for the day; True only if it was not already open."""
        if self.latched(limit_gbp):
            return False
        self.opened_at_limit_gbp = limit_gbp
        self.opened_at = now
        return True
