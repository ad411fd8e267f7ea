"""The scheduler's metrics beat counts the queue, the outbox and open breakers.

Revision ID: metrics_gauges
Revises: notification_preferences
Create Date: 2026-12-01

``metrics_gauges(day)`` returns, across organizations, only numbers: live queue items
by status (pending, processing, blocked; terminal states are counted by the attempt
counters instead, and would make this a scan of the queue's whole history), outbox
messages pending and dead, and organizations whose cost breaker is open on ``day``
(latched at a limit not since raised, or committed spend at the limit, as
core/costs/breaker.py decides; deleted organizations left out). A SECURITY DEFINER
function owned by the scheduler role, run by the app role, listed in ADR 0007. The
scheduler role already reads the queue (0001), the outbox (0003) and ``budget_days``
(0011); it is granted the one column it lacked, ``organizations.daily_cost_limit_gbp``,
under the ``scheduler_discovery`` policy of 0005.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "metrics_gauges"
down_revision: str | None = "notification_preferences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "metrics_gauges(date)"
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute(f"GRANT SELECT (daily_cost_limit_gbp) ON organizations TO {scheduler_role}")
    op.execute(
        f"""
        CREATE FUNCTION metrics_gauges(p_day date)
        RETURNS TABLE (gauge text, label text, value bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT 'queue_items', q.status, count(*)
              FROM episode_schedule_queue AS q
             WHERE q.status IN ('pending', 'processing', 'blocked')
             GROUP BY q.status
            UNION ALL
            SELECT 'outbox', o.status, count(*)
              FROM outbox_messages AS o
             WHERE o.status IN ('pending', 'dead')
             GROUP BY o.status
            UNION ALL
            SELECT 'breakers_open', '', count(*)
              FROM budget_days AS b
              JOIN organizations AS g ON g.id = b.organization_id
             WHERE b.day = p_day
               AND g.deleted_at IS NULL
               AND ((b.opened_at_limit_gbp IS NOT NULL
                     AND g.daily_cost_limit_gbp <= b.opened_at_limit_gbp)
                    OR b.spent_gbp + b.reserved_gbp >= g.daily_cost_limit_gbp)
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
    scheduler_role = context.config.attributes["scheduler_role"]
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.execute(f"REVOKE SELECT (daily_cost_limit_gbp) ON organizations FROM {scheduler_role}")
