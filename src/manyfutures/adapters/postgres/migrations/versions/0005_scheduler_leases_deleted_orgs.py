"""The scheduler's two clocks, and it ignores deleted organizations.

Revision ID: scheduler_leases_deleted_orgs
Revises: n8n_callbacks
Create Date: 2026-11-30

Two clocks replace the single lease (core/scheduling/leases.py). A claim sets a short
*start lease*; the job that opens the attempt's run records ``run_opened_at`` and
extends the lease to the *generation deadline*. So:

* ``episode_schedule_queue.run_opened_at`` (nullable) is new; the claim resets it, so
  the scheduler role may update it;
* ``scheduler_claim_due_items`` takes an expired lease back only while no run was
  opened (a lost job); a run past its deadline must fail first, with backoff;
* ``scheduler_abandoned_items`` returns what only the failure path can end: a run past
  its deadline, or a job lost on the final attempt.

``scheduler_due_projects`` returned every active project, including those of an
organization Clerk had deleted, so the tick kept advancing them. It now skips
organizations with ``deleted_at`` set, which means the scheduler role may read two
columns of ``organizations`` (``id``, ``deleted_at``) through a policy naming it
(ADR 0002).

``CREATE OR REPLACE`` keeps the functions' owner and grants. Downgrade puts the
previous bodies back and takes the new reach away again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "scheduler_leases_deleted_orgs"
down_revision: str | None = "n8n_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_PROJECTS = """
    SELECT p.organization_id, p.id
      FROM projects AS p
     WHERE p.status = 'ACTIVE'
       AND p.deleted_at IS NULL
       AND p.next_scheduled_at <= p_now
       {organization_alive}
     ORDER BY p.next_scheduled_at, p.id
     LIMIT p_limit
"""
ORGANIZATION_ALIVE = """
       AND NOT EXISTS (
           SELECT 1 FROM organizations AS o
            WHERE o.id = p.organization_id AND o.deleted_at IS NOT NULL
       )
"""

# 0002's statement, with the two clocks as {lost_job} and {reset_run}.
CLAIM = """
    WITH due AS (
        SELECT c.id, c.available_at
          FROM episode_schedule_queue AS c
         WHERE c.status = 'pending'
           AND c.available_at <= p_now
           AND c.attempt_count < p_max_attempts
         ORDER BY c.available_at, c.id
         LIMIT p_batch
           FOR UPDATE SKIP LOCKED
    ), expired AS (
        SELECT c.id, c.available_at
          FROM episode_schedule_queue AS c
         WHERE c.status = 'processing'
           AND c.lease_expires_at <= p_now
           AND c.attempt_count < p_max_attempts{lost_job}
         ORDER BY c.available_at, c.id
         LIMIT p_batch
           FOR UPDATE SKIP LOCKED
    ), chosen AS (
        SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS both_kinds
         ORDER BY available_at, id
         LIMIT p_batch
    ), claimed AS (
        UPDATE episode_schedule_queue AS q
           SET status = 'processing',
               attempt_count = q.attempt_count + 1,
               picked_up_at = p_now,
               last_attempt_at = p_now,
               lease_expires_at = p_now + p_lease{reset_run}
          FROM chosen
         WHERE q.id = chosen.id
        RETURNING q.*
    )
    SELECT * FROM claimed ORDER BY available_at, id
"""
LOST_JOB = "\n           AND c.run_opened_at IS NULL"
RESET_RUN = ",\n               run_opened_at = NULL"

ABANDONED = """
    SELECT q.organization_id, q.id
      FROM episode_schedule_queue AS q
     WHERE q.status = 'processing'
       AND q.lease_expires_at <= p_now
       AND {only_failure_ends_it}
     ORDER BY q.available_at, q.id
"""
DEADLINE_OR_FINAL = "(q.run_opened_at IS NOT NULL OR q.attempt_count >= p_max_attempts)"
FINAL = "q.attempt_count >= p_max_attempts"


def _definer() -> str:
    schema = context.get_context().dialect.identifier_preparer.quote(
        op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    )
    return f"SECURITY DEFINER SET search_path = {schema}, pg_temp"


def _replace_functions(due_projects: str, claim: str, abandoned: str) -> None:
    definer = _definer()
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION scheduler_due_projects(p_now timestamptz, p_limit integer)
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE {definer}
        AS $$ {due_projects} $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION scheduler_claim_due_items(
            p_now timestamptz, p_lease interval, p_batch integer, p_max_attempts integer
        )
        RETURNS SETOF episode_schedule_queue
        LANGUAGE plpgsql VOLATILE {definer}
        AS $$ BEGIN RETURN QUERY {claim}; END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION scheduler_abandoned_items(
            p_now timestamptz, p_max_attempts integer
        )
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE {definer}
        AS $$ {abandoned} $$
        """
    )


def upgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    op.add_column(
        "episode_schedule_queue",
        sa.Column("run_opened_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(f"GRANT UPDATE (run_opened_at) ON episode_schedule_queue TO {scheduler_role}")
    op.execute(f"GRANT SELECT (id, deleted_at) ON organizations TO {scheduler_role}")
    op.execute(
        "CREATE POLICY scheduler_discovery ON organizations FOR SELECT "
        f"TO {scheduler_role} USING (true)"
    )
    _replace_functions(
        DUE_PROJECTS.format(organization_alive=ORGANIZATION_ALIVE),
        CLAIM.format(lost_job=LOST_JOB, reset_run=RESET_RUN),
        ABANDONED.format(only_failure_ends_it=DEADLINE_OR_FINAL),
    )


def downgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    # The claim returns the table's row type, so it goes back before the column goes.
    _replace_functions(
        DUE_PROJECTS.format(organization_alive=""),
        CLAIM.format(lost_job="", reset_run=""),
        ABANDONED.format(only_failure_ends_it=FINAL),
    )
    op.execute("DROP POLICY scheduler_discovery ON organizations")
    op.execute(f"REVOKE SELECT (id, deleted_at) ON organizations FROM {scheduler_role}")
    op.execute(f"REVOKE UPDATE (run_opened_at) ON episode_schedule_queue FROM {scheduler_role}")
    op.drop_column("episode_schedule_queue", "run_opened_at")
