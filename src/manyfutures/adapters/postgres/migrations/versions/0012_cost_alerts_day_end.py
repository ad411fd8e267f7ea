"""Cost alerts recorded on the day, and the day's end for blocked slots.

Revision ID: cost_alerts_day_end
Revises: cost_gate
Create Date: 2026-11-30

* ``budget_days.warned_at`` and ``budget_days.limit_alerted_at`` (nullable): when the
  organization's admins were told that the day neared its limit, and that it reached
  it. Each is set under the day's row lock by the step that crossed the threshold, in
  its transaction, so the alerts go out once per organization and UTC day
  (core/costs/budget.py). The app role's table-wide ``SELECT, INSERT, UPDATE`` and the
  scheduler role's ``SELECT`` (0011) cover new columns; nothing to grant.
* ``scheduler_blocked_items_before(day_start, limit)``: the scheduler finds, in every
  organization, the blocked items whose UTC day is over, to cancel each in its own
  organization's unit of work (core/generation/day_end.py). A SECURITY DEFINER function
  owned by the scheduler role, run by the app role, listed in ADR 0007. It reads
  ``episode_schedule_queue``, which the scheduler role already reads (0001's
  ``scheduler_read``), through the partial index ``ix_episode_schedule_queue_blocked``,
  so a beat looks at blocked items only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "cost_alerts_day_end"
down_revision: str | None = "cost_gate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "scheduler_blocked_items_before(timestamptz, integer)"
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.add_column("budget_days", sa.Column("warned_at", sa.DateTime(timezone=True)))
    op.add_column("budget_days", sa.Column("limit_alerted_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_episode_schedule_queue_blocked",
        "episode_schedule_queue",
        ["available_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'blocked'"),
    )
    op.execute(
        f"""
        CREATE FUNCTION scheduler_blocked_items_before(p_day_start timestamptz, p_limit integer)
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT q.organization_id, q.id
              FROM episode_schedule_queue AS q
             WHERE q.status = 'blocked'
               AND q.available_at < p_day_start
             ORDER BY q.available_at, q.id
             LIMIT p_limit
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {scheduler_role}")
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {app_role}")
    op.execute(
        f"""
        DO $$
        DECLARE api_role text;
        BEGIN
            FOREACH api_role IN ARRAY ARRAY{list(HOSTED_API_ROLES)!r}::text[] LOOP
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                    EXECUTE format('REVOKE ALL ON FUNCTION {SIGNATURE} FROM %I', api_role);
                END IF;
            END LOOP;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.drop_index("ix_episode_schedule_queue_blocked", table_name="episode_schedule_queue")
    op.drop_column("budget_days", "limit_alerted_at")
    op.drop_column("budget_days", "warned_at")
