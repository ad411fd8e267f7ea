"""Each organization's plan: overrides of the operator's defaults.

Revision ID: organization_plans
Revises: database_operations
Create Date: 2026-11-30

* ``organizations.max_active_projects``: how many of its projects may be active at once.
* ``organizations.daily_limit_ceiling_gbp``: how high its admins may set the daily cost
  limit.

Both NULL for every existing organization, which takes the operator's defaults
(``MANYFUTURES_DEFAULT_MAX_ACTIVE_PROJECTS``, ``MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP``):
a default is a setting, so it is never copied into rows. The app role already has
``SELECT, INSERT, UPDATE`` on the table, and its row-level security covers the new
columns; the row lock the active-project rule takes (``SELECT … FOR UPDATE``) needs no
further grant.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "organization_plans"
down_revision: str | None = "database_operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("max_active_projects", sa.Integer(), nullable=True))
    op.add_column(
        "organizations",
        sa.Column("daily_limit_ceiling_gbp", sa.Numeric(12, 2), nullable=True),
    )
    op.create_check_constraint(
        op.f("ck_organizations_max_active_projects_not_negative"),
        "organizations",
        "max_active_projects >= 0",
    )
    op.create_check_constraint(
        op.f("ck_organizations_ceiling_not_negative"),
        "organizations",
        "daily_limit_ceiling_gbp >= 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_organizations_ceiling_not_negative"), "organizations")
    op.drop_constraint(op.f("ck_organizations_max_active_projects_not_negative"), "organizations")
    op.drop_column("organizations", "daily_limit_ceiling_gbp")
    op.drop_column("organizations", "max_active_projects")
