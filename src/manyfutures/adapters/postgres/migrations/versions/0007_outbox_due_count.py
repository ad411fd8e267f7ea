"""The scheduler asks how much mail is due, to queue just enough delivery jobs.

Revision ID: outbox_due_count
Revises: archive_deleted_organizations
Create Date: 2026-11-30

In production the outbox is delivered by RQ jobs on the ``outbox`` queue, which the
scheduler queues on its beat: one job per batch of due messages, so nothing is queued
while no mail is due, and a backlog is worked by several workers at once.
``outbox_due_count(now, cap)`` counts the due messages of every organization, up to
``cap`` (a bounded scan of the partial due index, however long the backlog). It
returns a number only, and is listed in ADR 0007 with the dispatcher's other functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "outbox_due_count"
down_revision: str | None = "archive_deleted_organizations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "outbox_due_count(timestamptz, integer)"
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute(
        f"""
        CREATE FUNCTION outbox_due_count(p_now timestamptz, p_cap integer)
        RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT count(*)::integer FROM (
                SELECT 1 FROM outbox_messages AS o
                 WHERE o.status = 'pending' AND o.available_at <= p_now
                 LIMIT p_cap
            ) AS due
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
