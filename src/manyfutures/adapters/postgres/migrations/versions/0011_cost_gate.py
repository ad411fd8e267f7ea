"""The cost gate: a budget row per organization and UTC day, and the reservations on it.

Revision ID: cost_gate
Revises: organization_plans
Create Date: 2026-11-30

* ``budget_days``: what one organization spent and has reserved on one UTC day, and
  the limit its breaker opened at (core/costs/budget.py). Reserving locks this row
  first, so the check and the reservation are one atomic step under any number of
  workers (adapters/postgres/budget.py).
* ``cost_reservations``: each operation's reserved ceiling, on the day it was made,
  reserved → settled or released; one per generation run.

Both are tenant tables like the others: row-level security enabled and forced, the
usual ``tenant_isolation`` policy, and the app role may SELECT, INSERT and UPDATE
them (the gate runs inside one organization's unit of work; nothing here crosses
tenants, so ADR 0007's list is unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "cost_gate"
down_revision: str | None = "organization_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"
TABLES = ("budget_days", "cost_reservations")
HOSTED_API_ROLES = ("anon", "authenticated")
ID = sa.Text(collation="C")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    _create_tables()
    for table in TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {app_role}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (organization_id = {ORG_SETTING}) "
            f"WITH CHECK (organization_id = {ORG_SETTING})"
        )
        # The operators' read (`manyfutures db tables`, `db preview`; ADR 0013).
        op.execute(f"GRANT SELECT ON {table} TO {scheduler_role}")
        op.execute(
            f"CREATE POLICY operations_read ON {table} FOR SELECT TO {scheduler_role} USING (true)"
        )
    _close_hosted_api_roles()


def downgrade() -> None:
    op.drop_index("uq_cost_reservations_organization_id_run_id", table_name="cost_reservations")
    op.drop_index("ix_cost_reservations_organization_id_day", table_name="cost_reservations")
    op.drop_table("cost_reservations")
    op.drop_table("budget_days")


def _create_tables() -> None:
    op.create_table(
        "budget_days",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("spent_gbp", sa.Numeric(), nullable=False),
        sa.Column("reserved_gbp", sa.Numeric(), nullable=False),
        sa.Column("opened_at_limit_gbp", sa.Numeric(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "spent_gbp >= 0 AND reserved_gbp >= 0",
            name=op.f("ck_budget_days_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_budget_days_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "day", name=op.f("pk_budget_days")),
    )
    op.create_table(
        "cost_reservations",
        sa.Column("id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("amount_gbp", sa.Numeric(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("settled_gbp", sa.Numeric(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "operation IN ('episode_generation', 'project_onboarding', 'chat')",
            name=op.f("ck_cost_reservations_operation"),
        ),
        sa.CheckConstraint(
            "status IN ('reserved', 'settled', 'released')",
            name=op.f("ck_cost_reservations_status"),
        ),
        sa.CheckConstraint("amount_gbp > 0", name=op.f("ck_cost_reservations_amount_positive")),
        sa.CheckConstraint(
            "settled_gbp >= 0", name=op.f("ck_cost_reservations_settled_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id", "day"],
            ["budget_days.organization_id", "budget_days.day"],
            name=op.f("fk_cost_reservations_organization_id_budget_days"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_cost_reservations_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_reservations")),
    )
    op.create_index(
        "ix_cost_reservations_organization_id_day",
        "cost_reservations",
        ["organization_id", "day"],
    )
    op.create_index(
        "uq_cost_reservations_organization_id_run_id",
        "cost_reservations",
        ["organization_id", "run_id"],
        unique=True,
    )


def _close_hosted_api_roles() -> None:
    """As 0001 does for its objects: a hosted Data API's roles get nothing of these."""
    revokes = "\n".join(
        f"EXECUTE format('REVOKE ALL ON TABLE {table} FROM %I', api_role);" for table in TABLES
    )
    op.execute(
        f"""
        DO $$
        DECLARE api_role text;
        BEGIN
            FOREACH api_role IN ARRAY ARRAY{list(HOSTED_API_ROLES)!r}::text[] LOOP
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                    {revokes}
                END IF;
            END LOOP;
        END
        $$
        """
    )
