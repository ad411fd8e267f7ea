"""The console's operations view across organizations, for the service's operators.

Revision ID: console_operations
Revises: operator_commands
Create Date: 2026-12-01

Four read-only SECURITY DEFINER functions, owned by the scheduler role (which reads
every table since 0009, ``operations_read``), each listed in ADR 0007. Deleted
organizations are left out of all four.

* ``console_queue_counts(finished_since)``: queue items per organization and status,
  every live item (pending, processing, blocked) and the finished ones whose slot is at
  or after ``finished_since``. Numbers only.
* ``console_runs_in_flight(limit)``: the episodes in GENERATING with their latest run's
  attempt and start, their stage and percent and their project's title, oldest run
  first, at most ``limit``.
* ``console_failed_episodes(limit)``: the FAILED episodes with their project's title and
  their last error, latest failure first, at most ``limit``.
* ``console_outbox_health()``: per organization, pending and dead messages, how many and
  the oldest one's creation time. No recipient, subject or body.

Unlike 0019's operator commands they are run by the app role: the console's operator
page is served by the service itself, which lets only the users named in
``MANYFUTURES_OPERATOR_USERS`` reach them (ADR 0025).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "console_operations"
down_revision: str | None = "operator_commands"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = (
    "console_queue_counts(timestamptz)",
    "console_runs_in_flight(integer)",
    "console_failed_episodes(integer)",
    "console_outbox_health()",
)
HOSTED_API_ROLES = ("anon", "authenticated")
LIVE_ORGANIZATION = """JOIN organizations AS g ON g.id = {alias}.organization_id
                                               AND g.deleted_at IS NULL"""


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    definer = f'STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    op.execute(
        f"""
        CREATE FUNCTION console_queue_counts(p_finished_since timestamptz)
        RETURNS TABLE (organization_id text, status text, items bigint)
        LANGUAGE sql {definer} AS $$
            SELECT q.organization_id, q.status, count(*)
              FROM episode_schedule_queue AS q
              {LIVE_ORGANIZATION.format(alias="q")}
             WHERE q.status IN ('pending', 'processing', 'blocked')
                OR q.scheduled_for >= p_finished_since
             GROUP BY q.organization_id, q.status
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION console_runs_in_flight(p_limit integer)
        RETURNS TABLE (organization_id text, episode_id text, project_id text,
                       project_title text, stage text, percent integer, attempt integer,
                       started_at timestamptz)
        LANGUAGE sql {definer} AS $$
            SELECT e.organization_id, e.id, e.project_id, p.title, e.progress_stage,
                   e.progress_percent, COALESCE(r.attempt, e.generation_attempts),
                   COALESCE(r.started_at, e.updated_at)
              FROM episodes AS e
              {LIVE_ORGANIZATION.format(alias="e")}
              JOIN projects AS p ON p.id = e.project_id
              LEFT JOIN LATERAL (
                    SELECT run.attempt, run.started_at
                      FROM generation_runs AS run
                     WHERE run.episode_id = e.id
                     ORDER BY run.started_at DESC, run.id DESC
                     LIMIT 1
                   ) AS r ON true
             WHERE e.status = 'GENERATING'
             ORDER BY COALESCE(r.started_at, e.updated_at), e.id
             LIMIT greatest(p_limit, 0)
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION console_failed_episodes(p_limit integer)
        RETURNS TABLE (organization_id text, episode_id text, project_id text,
                       project_title text, failed_at timestamptz, last_error text)
        LANGUAGE sql {definer} AS $$
            SELECT e.organization_id, e.id, e.project_id, p.title, e.updated_at,
                   e.generation_errors[cardinality(e.generation_errors)]
              FROM episodes AS e
              {LIVE_ORGANIZATION.format(alias="e")}
              JOIN projects AS p ON p.id = e.project_id
             WHERE e.status = 'FAILED'
             ORDER BY e.updated_at DESC, e.id DESC
             LIMIT greatest(p_limit, 0)
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION console_outbox_health()
        RETURNS TABLE (organization_id text, status text, messages bigint,
                       oldest timestamptz)
        LANGUAGE sql {definer} AS $$
            SELECT m.organization_id, m.status, count(*), min(m.created_at)
              FROM outbox_messages AS m
              {LIVE_ORGANIZATION.format(alias="m")}
             WHERE m.status IN ('pending', 'dead')
             GROUP BY m.organization_id, m.status
        $$
        """
    )
    for signature in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {scheduler_role}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        # The service runs them for the operators' page (ADR 0025); nobody else.
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")
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
