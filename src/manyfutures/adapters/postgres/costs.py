"""Costs in PostgreSQL: the raw token-usage ledger and the daily aggregate its trigger keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Index,
    SmallInteger,
    bindparam,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    ID_TYPE,
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    table_of,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.costs import ports
from manyfutures.core.costs.model import Operation, OperationTotals, TokenUsage, TokenUsageDaily

# --- rows ---------------------------------------------------------------------------------


class TokenUsageRow(Base):
    """Raw usage, one row per AI call; the trigger folds each into ``token_usage_daily``.

    ``project_id``/``episode_id`` are ledger references, not foreign keys: onboarding
    spends before its project exists, and spend must outlive what it was spent on.
    """

    __tablename__ = "token_usage"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    project_id: Mapped[str | None] = mapped_column(ID_TYPE)
    episode_id: Mapped[str | None] = mapped_column(ID_TYPE)
    operation: Mapped[str]
    model: Mapped[str]
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    cost_gbp: Mapped[Decimal]
    created_at: Mapped[Timestamp]
    # The generation run that reported it (a ledger reference like the two above).
    run_id: Mapped[str | None] = mapped_column(ID_TYPE, default=None)

    __table_args__ = (
        Index("ix_token_usage_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_token_usage_organization_id_project_id",
            "organization_id",
            "project_id",
            postgresql_where=text("project_id IS NOT NULL"),
        ),
        one_of("operation", Operation),
        CheckConstraint(
            "prompt_tokens >= 0 AND completion_tokens >= 0", name="tokens_not_negative"
        ),
        CheckConstraint("cost_gbp >= 0", name="cost_not_negative"),
    )


class TokenUsageDailyRow(Base):
    """Maintained only by the ``token_usage`` trigger; the app role may read it, not write it.

    ``operation_breakdown`` is ``{operation: {"tokens": n, "cost_gbp": "0.41"}}`` (cost
    as a string so JSON never turns pence into a float); ``hourly_tokens`` is
    ``{"0".."23": n}``; ``hourly_peak``/``peak_hour`` are kept for SQL readers and
    equal the domain's properties over ``hourly_tokens``.
    """

    __tablename__ = "token_usage_daily"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    total_tokens: Mapped[int] = mapped_column(BigInteger)
    total_cost_gbp: Mapped[Decimal]
    episode_count: Mapped[int]
    operation_breakdown: Mapped[dict[str, Any]]
    hourly_tokens: Mapped[dict[str, Any]]
    hourly_peak: Mapped[int] = mapped_column(BigInteger)
    peak_hour: Mapped[int | None] = mapped_column(SmallInteger)
    last_updated: Mapped[Timestamp]

    __table_args__ = (CheckConstraint("peak_hour BETWEEN 0 AND 23", name="peak_hour_range"),)


class TokenUsageDailyEpisodeRow(Base):
    """Which episodes already counted towards a day's ``episode_count``.

    The trigger inserts here with ON CONFLICT DO NOTHING and counts the episode only
    when a row was inserted: exact distinct counting under any concurrency, in O(1),
    without scanning ``token_usage``.
    """

    __tablename__ = "token_usage_daily_episodes"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    episode_id: Mapped[Id] = mapped_column(primary_key=True)


class TokenUsageRunRow(Base):
    """Which generation runs' usage is already in ``token_usage``: one row per run.

    A run's report is recorded by inserting here with ON CONFLICT DO NOTHING first
    and its usage rows only if that inserted: a duplicate or late callback, even one
    racing the first, cannot record the same money twice. ``run_id`` is a ledger
    reference, not a foreign key, like ``token_usage``'s.
    """

    __tablename__ = "token_usage_runs"

    organization_id: Mapped[Id] = mapped_column(org_fk(), primary_key=True)
    run_id: Mapped[Id] = mapped_column(primary_key=True)


# --- statements ---------------------------------------------------------------------------

_daily_usage = table_of(TokenUsageDailyRow)
TOKEN_USAGE_DAILY = select(_daily_usage).where(
    _daily_usage.c.organization_id == ORG, _daily_usage.c.date == bindparam("day")
)
# The primary key (organization_id, date) serves the range.
TOKEN_USAGE_DAILY_RANGE = (
    select(_daily_usage)
    .where(
        _daily_usage.c.organization_id == ORG,
        _daily_usage.c.date.between(bindparam("first"), bindparam("last")),
    )
    .order_by(_daily_usage.c.date)
)

# Returns the run's id only if this statement recorded it; a concurrent insert of the
# same run waits for that transaction and then conflicts.
_usage_runs = table_of(TokenUsageRunRow)
RECORD_RUN_USAGE = (
    insert(_usage_runs)
    .values(organization_id=ORG, run_id=bindparam("run_id"))
    .on_conflict_do_nothing()
    .returning(_usage_runs.c.run_id)
)


# --- mappers ------------------------------------------------------------------------------


def usage_to_row(u: TokenUsage) -> TokenUsageRow:
    return TokenUsageRow(
        id=u.id,
        organization_id=u.organization_id,
        project_id=u.project_id,
        episode_id=u.episode_id,
        operation=u.operation.value,
        model=u.model,
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        cost_gbp=u.cost_gbp,
        created_at=u.created_at,
        run_id=u.run_id,
    )


def daily_from_row(r: TokenUsageDailyRow) -> TokenUsageDaily:
    return TokenUsageDaily(
        organization_id=r.organization_id,
        date=r.date,
        total_tokens=r.total_tokens,
        total_cost_gbp=r.total_cost_gbp,
        episode_count=r.episode_count,
        operation_breakdown={
            Operation(name): OperationTotals(int(totals["tokens"]), Decimal(totals["cost_gbp"]))
            for name, totals in r.operation_breakdown.items()
        },
        hourly_tokens={int(hour): int(tokens) for hour, tokens in r.hourly_tokens.items()},
        last_updated=r.last_updated,
    )


# --- repositories -------------------------------------------------------------------------


class TokenUsageRepository(Repository, ports.TokenUsageRepository):
    def add(self, usage: TokenUsage) -> None:
        """The trigger on token_usage updates the daily aggregate in the same transaction."""
        self._uow.insert(usage_to_row(usage))

    def add_for_run(self, run_id: str, usage: Sequence[TokenUsage]) -> bool:
        """Claim the run in ``token_usage_runs`` now, so a racing claim waits for ours."""
        parameters = {"org": self._org, "run_id": run_id}
        claimed = self._uow.now(
            lambda connection: connection.execute(RECORD_RUN_USAGE, parameters).first()
        )
        if claimed is None:
            return False
        for row in usage:
            self.add(row)
        return True

    def daily(self, day: dt.date) -> TokenUsageDaily | None:
        return self._uow.first(TOKEN_USAGE_DAILY, daily_from_row, day=day)

    def daily_range(self, first: dt.date, last: dt.date) -> Sequence[TokenUsageDaily]:
        rows = self._uow.rows(TOKEN_USAGE_DAILY_RANGE, first=first, last=last)
        return [daily_from_row(row) for row in rows]
