"""The cost ledger's storage ports: token usage, and the gate's budget days and reservations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from manyfutures.core.costs.budget import BudgetDay, CostReservation
from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.shared.unit_of_work import UnitOfWork


class TokenUsageRepository(Protocol):
    def add(self, usage: TokenUsage) -> None:
        """Record a raw row; the daily aggregate follows in the same transaction."""
        ...

    def add_for_run(self, run_id: str, usage: Sequence[TokenUsage]) -> bool:
        """Record what one generation run reported it spent, once per run.

        False, and nothing written, if that run's usage is already recorded, here or
        by a unit of work that committed first; an empty report counts as recorded.
        Of two units of work recording the same run at the same time, one wins: the
        other gets False (it waits for the winner's commit) or is refused at commit
        with DuplicateError, depending on the adapter. Callers may rely on a False
        meaning "another report for this run was applied".
        """
        ...

    def daily(self, day: date) -> TokenUsageDaily | None: ...
    def daily_range(self, first: date, last: date) -> Sequence[TokenUsageDaily]:
        """The aggregate of every day from ``first`` to ``last`` (both included) that has
        usage, oldest first; days without usage have no row."""
        ...


class UsageStore(UnitOfWork, Protocol):
    """An organization's token usage and its daily aggregate."""

    @property
    def token_usage(self) -> TokenUsageRepository: ...


class BudgetDayRepository(Protocol):
    def lock(self, day: date) -> BudgetDay:
        """The organization's budget for that UTC day, created empty if it has none yet,
        locked until the unit of work ends.

        Another unit of work locking the same day waits until then and reads what this
        one wrote: this is what makes checking the budget and reserving one atomic step
        under any concurrency. Other days, and other organizations, are not held up.
        """
        ...

    def get(self, day: date) -> BudgetDay | None:
        """The day as last committed (or written here), without locking it."""
        ...

    def update(self, budget: BudgetDay) -> None:
        """Write a day this unit of work locked."""
        ...


class CostReservationRepository(Protocol):
    def add(self, reservation: CostReservation) -> None: ...
    def get(self, reservation_id: str) -> CostReservation | None: ...
    def for_run(self, run_id: str) -> CostReservation | None:
        """The reservation that pays for a generation run (one per run)."""
        ...

    def list_for_day(self, day: date) -> Sequence[CostReservation]: ...
    def update(self, reservation: CostReservation) -> None: ...


class BudgetStore(UnitOfWork, Protocol):
    """An organization's daily budgets and the reservations made against them."""

    @property
    def budget_days(self) -> BudgetDayRepository: ...
    @property
    def cost_reservations(self) -> CostReservationRepository: ...
