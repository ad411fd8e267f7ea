"""Token usage in memory, folded into its daily aggregate as Postgres's trigger does."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction
from manyfutures.core.costs.model import TokenUsage, TokenUsageDaily
from manyfutures.core.shared.errors import DuplicateError


def fold_usage(
    store: InMemoryStore,
    aggregate: TokenUsageDaily | None,
    usage: TokenUsage,
    staged: dict[str, dict[str, Any]] | None = None,
) -> TokenUsageDaily:
    """The fake's version of the Postgres trigger on token_usage."""
    if aggregate is None:
        aggregate = TokenUsageDaily(
            organization_id=usage.organization_id,
            date=usage.created_at.date(),
            last_updated=usage.created_at,
        )
    rows = {**store.tables["token_usage"], **(staged or {}).get("token_usage", {})}
    first = usage.episode_id is not None and not any(
        other.episode_id == usage.episode_id
        and other.created_at.date() == usage.created_at.date()
        and other.id < usage.id
        for other in rows.values()
    )
    aggregate.add(usage, first_for_episode=first)
    return aggregate


def _store_usage(store: InMemoryStore, usage: TokenUsage) -> None:
    key = (usage.organization_id, usage.created_at.date())
    store.tables["token_usage"][usage.id] = usage
    store.daily_usage[key] = fold_usage(store, store.daily_usage.get(key), usage)


TOKEN_USAGE = MemoryTable("token_usage", store_row=_store_usage)


@dataclass(slots=True)
class RunUsageRecorded:
    """A run whose usage is in the ledger: Postgres's ``token_usage_runs`` row."""

    id: str  # "<organization>/<run>": Postgres's composite primary key
    organization_id: str

    @classmethod
    def key(cls, organization_id: str, run_id: str) -> str:
        return f"{organization_id}/{run_id}"


def _check_one_report_per_run(uow: Transaction) -> None:
    """The primary key Postgres checks: a run another unit of work recorded first."""
    committed = uow.store.tables[TOKEN_USAGE_RUNS.name]
    for key in uow.staged.get(TOKEN_USAGE_RUNS.name, {}):
        if key in committed:
            raise DuplicateError(f"the usage of run {key} is already recorded")


TOKEN_USAGE_RUNS = MemoryTable("token_usage_runs", check=_check_one_report_per_run)


class TokenUsageRepository:
    table: ClassVar[MemoryTable] = TOKEN_USAGE

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[TokenUsage] = TableView(uow, self.table)
        self._runs: TableView[RunUsageRecorded] = TableView(uow, TOKEN_USAGE_RUNS)

    def add(self, usage: TokenUsage) -> None:
        self._rows.insert(usage)

    def add_for_run(self, run_id: str, usage: Sequence[TokenUsage]) -> bool:
        key = RunUsageRecorded.key(self._uow.organization_id, run_id)
        if self._runs.get(key) is not None:
            return False
        self._runs.insert(RunUsageRecorded(key, self._uow.organization_id))
        for row in usage:
            self._rows.insert(row)
        return True

    def daily(self, day: date) -> TokenUsageDaily | None:
        committed = self._uow.store.daily_usage.get((self._uow.organization_id, day))
        aggregate = copy.deepcopy(committed)
        for usage in self._uow.staged.get("token_usage", {}).values():
            if (
                usage.organization_id == self._uow.organization_id
                and usage.created_at.date() == day
            ):
                aggregate = fold_usage(self._uow.store, aggregate, usage, self._uow.staged)
        return aggregate

    def daily_range(self, first: date, last: date) -> Sequence[TokenUsageDaily]:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [aggregate for day in days if (aggregate := self.daily(day)) is not None]
