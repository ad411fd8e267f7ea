"""The runbook's two cross-tenant operator commands.

Revision ID: operator_commands
Revises: metrics_gauges
Create Date: 2026-12-01

* ``operations_stuck_generations(started_before, organization, limit)``: ``manyfutures
  episodes stuck`` lists the episodes in GENERATING whose latest run started before a
  moment, in every organization (or one), oldest first, with the run, its stage and
  percent, and the deadline the scheduler fails it at. Read only; the scheduler role
  reads every table since 0009 (``operations_read``).
* ``operations_redrive_dead_messages(now, ids, organization, limit)``: ``manyfutures
  outbox redrive`` gives dead messages (all, those of one organization, or the ids
  named) back to the dispatcher: pending, due now, their attempts counted afresh; the
  last error is kept, to show why they died. It changes only the delivery columns the
  scheduler role may update (0003's ``outbox_dispatch``), and only dead messages.

Both are SECURITY DEFINER functions owned by the scheduler role, listed in ADR 0007,
and run by the migration's owner only (as 0009's), never by the app role: the service
itself has no business reading every organization's runs or reviving its mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "operator_commands"
down_revision: str | None = "metrics_gauges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = (
    "operations_stuck_generations(timestamptz, text, integer)",
    "operations_redrive_dead_messages(timestamptz, text[], text, integer)",
)
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    definer = f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    # An episode in GENERATING has an open run (StartGeneration opens both together); the
    # latest run is the one a callback or the deadline would finish.
    op.execute(
        f"""
        CREATE FUNCTION operations_stuck_generations(
            p_started_before timestamptz, p_organization text, p_limit integer
        )
        RETURNS TABLE (organization_id text, episode_id text, project_id text, run_id text,
                       attempt integer, stage text, percent integer, started_at timestamptz,
                       deadline timestamptz, queue_item_id text, item_status text)
        LANGUAGE sql STABLE {definer} AS $$
            SELECT e.organization_id, e.id, e.project_id, g.id, g.attempt, e.progress_stage,
                   e.progress_percent, COALESCE(g.started_at, e.updated_at),
                   q.lease_expires_at, q.id, q.status
              FROM episodes AS e
              LEFT JOIN LATERAL (
                    SELECT r.id, r.attempt, r.started_at, r.queue_item_id
                      FROM generation_runs AS r
                     WHERE r.episode_id = e.id
                     ORDER BY r.started_at DESC, r.id DESC
                     LIMIT 1
                   ) AS g ON true
              LEFT JOIN episode_schedule_queue AS q ON q.id = g.queue_item_id
             WHERE e.status = 'GENERATING'
               AND (p_organization IS NULL OR e.organization_id = p_organization)
               AND COALESCE(g.started_at, e.updated_at) < p_started_before
             ORDER BY COALESCE(g.started_at, e.updated_at), e.id
             LIMIT greatest(p_limit, 0)
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION operations_redrive_dead_messages(
            p_now timestamptz, p_ids text[], p_organization text, p_limit integer
        )
        RETURNS TABLE (id text, organization_id text)
        LANGUAGE sql VOLATILE {definer} AS $$
            UPDATE outbox_messages AS m
               SET status = 'pending', attempts = 0, available_at = p_now,
                   lease_until = NULL, dead_at = NULL
             WHERE m.status = 'dead'
               AND m.id IN (
                    SELECT d.id FROM outbox_messages AS d
                     WHERE d.status = 'dead'
                       AND (p_ids IS NULL OR d.id = ANY(p_ids))
                       AND (p_organization IS NULL OR d.organization_id = p_organization)
                     ORDER BY d.dead_at DESC, d.id DESC
                     LIMIT greatest(p_limit, 0)
                       FOR UPDATE
                   )
            RETURNING m.id, m.organization_id
        $$
        """
    )
    for signature in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {scheduler_role}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        # The owner runs them (manyfutures episodes stuck / outbox redrive); nobody else.
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO CURRENT_USER")
    revokes = "\n".join(
        f"EXECUTE format('REVOKE ALL ON FUNCTION {signature} FROM %I', api_role);"
        for signature in FUNCTIONS
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


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
