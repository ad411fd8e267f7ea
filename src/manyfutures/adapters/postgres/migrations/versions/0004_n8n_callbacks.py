"""n8n callbacks: a token hash per run, usage recorded once per run, the run lookup.

Revision ID: n8n_callbacks
Revises: 0003
Create Date: 2026-11-23

* ``generation_runs.callback_token_hash``: the SHA-256 of the run's callback token
  (the token goes to n8n and is never stored). NULL for runs opened before this
  migration; no token matches them.
* ``token_usage.run_id`` and ``token_usage_runs``: which run reported a usage row,
  and one row per run whose usage is recorded, so a duplicate or late callback
  records the same money once (the app role may only SELECT and INSERT it, under
  the usual tenant policy).
* ``generation_callback_run(run_id)``: a callback names a run, not an
  organization, so finding the run's organization (and its token hash, to check
  the callback against) crosses tenants. Like the scheduler's and the outbox's
  functions it is SECURITY DEFINER, owned by the NOLOGIN scheduler role, executable by
  the app role only, and listed in ADR 0007; the scheduler role may read just the
  three columns it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "n8n_callbacks"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"
LOOKUP = "generation_callback_run(text)"
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.add_column("generation_runs", sa.Column("callback_token_hash", sa.Text(), nullable=True))
    op.add_column("token_usage", sa.Column("run_id", sa.Text(collation="C"), nullable=True))
    op.create_table(
        "token_usage_runs",
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("run_id", sa.Text(collation="C"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_token_usage_runs_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "run_id", name=op.f("pk_token_usage_runs")),
    )
    op.execute(f"GRANT SELECT, INSERT ON token_usage_runs TO {app_role}")
    op.execute("ALTER TABLE token_usage_runs ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE token_usage_runs FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON token_usage_runs "
        f"USING (organization_id = {ORG_SETTING}) WITH CHECK (organization_id = {ORG_SETTING})"
    )
    _create_run_lookup(app_role, scheduler_role, schema)
    _close_hosted_api_roles()


def downgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    op.execute(f"DROP FUNCTION IF EXISTS {LOOKUP}")
    op.execute("DROP POLICY IF EXISTS scheduler_callback_lookup ON generation_runs")
    op.execute(
        "REVOKE SELECT (id, organization_id, callback_token_hash) "
        f"ON generation_runs FROM {scheduler_role}"
    )
    op.drop_table("token_usage_runs")
    op.drop_column("token_usage", "run_id")
    op.drop_column("generation_runs", "callback_token_hash")


def _create_run_lookup(app_role: str, scheduler_role: str, schema: str) -> None:
    """One run by id, wherever it is: its organization and token hash, nothing else."""
    op.execute(
        "GRANT SELECT (id, organization_id, callback_token_hash) "
        f"ON generation_runs TO {scheduler_role}"
    )
    op.execute(
        "CREATE POLICY scheduler_callback_lookup ON generation_runs FOR SELECT "
        f"TO {scheduler_role} USING (true)"
    )
    op.execute(
        f"""
        CREATE FUNCTION {LOOKUP.replace("(text)", "(p_run_id text)")}
        RETURNS TABLE (organization_id text, callback_token_hash text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT r.organization_id, r.callback_token_hash
              FROM generation_runs AS r
             WHERE r.id = p_run_id
        $$
        """
    )
    # As in 0001: owning a function needs membership in its owner role.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT pg_has_role(current_user, '{scheduler_role}', 'MEMBER') THEN
                EXECUTE format('GRANT %I TO %I', '{scheduler_role}', current_user);
            END IF;
        END
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {LOOKUP} OWNER TO {scheduler_role}")
    op.execute(f"REVOKE ALL ON FUNCTION {LOOKUP} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {LOOKUP} TO {app_role}")


def _close_hosted_api_roles() -> None:
    """As 0001 does for its objects: a hosted Data API's roles get nothing of these."""
    revokes = "\n".join(
        f"EXECUTE format('REVOKE ALL ON {target} FROM %I', api_role);"
        for target in ("TABLE token_usage_runs", f"FUNCTION {LOOKUP}")
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
