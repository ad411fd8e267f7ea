"""The operations views read less, and no deleted project's episodes.

Revision ID: console_operations_reads
Revises: console_operations
Create Date: 2026-12-01

Two of 0020's functions change, their signatures, owner and grants kept
(``CREATE OR REPLACE``):

* ``console_runs_in_flight``: the latest run of each episode is looked up with its
  organization, so ``ix_generation_runs_organization_id_episode_id_attempt`` serves it;
  without it each episode in flight read the whole runs table, every 5 s on the
  operator's page.
* ``console_runs_in_flight`` and ``console_failed_episodes``: an episode of a deleted
  project is left out, as on the reader's pages and in an organization's own view (a
  row whose Retry would lead to a 404).

And one partial index, ``ix_episodes_in_operations``, on the episodes those two lists
and the organization's own view look for (GENERATING and FAILED), which no index
served: each poll scanned every episode.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "console_operations_reads"
down_revision: str | None = "console_operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_ORGANIZATION = """JOIN organizations AS g ON g.id = {alias}.organization_id
                                               AND g.deleted_at IS NULL"""


def _runs_in_flight(definer: str, *, fixed: bool) -> str:
    run_org = "run.organization_id = e.organization_id AND " if fixed else ""
    live_project = " AND p.deleted_at IS NULL" if fixed else ""
    return f"""
        CREATE OR REPLACE FUNCTION console_runs_in_flight(p_limit integer)
        RETURNS TABLE (organization_id text, episode_id text, project_id text,
                       project_title text, stage text, percent integer, attempt integer,
                       started_at timestamptz)
        LANGUAGE sql {definer} AS $$
            SELECT e.organization_id, e.id, e.project_id, p.title, e.progress_stage,
                   e.progress_percent, COALESCE(r.attempt, e.generation_attempts),
                   COALESCE(r.started_at, e.updated_at)
              FROM episodes AS e
              {LIVE_ORGANIZATION.format(alias="e")}
              JOIN projects AS p ON p.id = e.project_id{live_project}
              LEFT JOIN LATERAL (
                    SELECT run.attempt, run.started_at
                      FROM generation_runs AS run
                     WHERE {run_org}run.episode_id = e.id
                     ORDER BY run.started_at DESC, run.id DESC
                     LIMIT 1
                   ) AS r ON true
             WHERE e.status = 'GENERATING'
             ORDER BY COALESCE(r.started_at, e.updated_at), e.id
             LIMIT greatest(p_limit, 0)
        $$
        """


def _failed_episodes(definer: str, *, fixed: bool) -> str:
    live_project = " AND p.deleted_at IS NULL" if fixed else ""
    return f"""
        CREATE OR REPLACE FUNCTION console_failed_episodes(p_limit integer)
        RETURNS TABLE (organization_id text, episode_id text, project_id text,
                       project_title text, failed_at timestamptz, last_error text)
        LANGUAGE sql {definer} AS $$
            SELECT e.organization_id, e.id, e.project_id, p.title, e.updated_at,
                   e.generation_errors[cardinality(e.generation_errors)]
              FROM episodes AS e
              {LIVE_ORGANIZATION.format(alias="e")}
              JOIN projects AS p ON p.id = e.project_id{live_project}
             WHERE e.status = 'FAILED'
             ORDER BY e.updated_at DESC, e.id DESC
             LIMIT greatest(p_limit, 0)
        $$
        """


def _definer() -> str:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return f'STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp'


def _replace(*, fixed: bool) -> None:
    definer = _definer()
    scheduler_role = context.config.attributes["scheduler_role"]
    for statement in (
        _runs_in_flight(definer, fixed=fixed),
        _failed_episodes(definer, fixed=fixed),
    ):
        op.execute(statement)
    # The owner stays the scheduler role (CREATE OR REPLACE keeps it); said again so a
    # database whose functions were recreated by hand comes out the same.
    for signature in ("console_runs_in_flight(integer)", "console_failed_episodes(integer)"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {scheduler_role}")


def upgrade() -> None:
    _replace(fixed=True)
    op.execute(
        "CREATE INDEX ix_episodes_in_operations ON episodes (organization_id, updated_at)"
        " WHERE status IN ('GENERATING', 'FAILED')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_episodes_in_operations")
    _replace(fixed=False)
