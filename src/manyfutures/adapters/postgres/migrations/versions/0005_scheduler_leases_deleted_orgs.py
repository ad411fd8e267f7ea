"""The scheduler ignores deleted organizations.

Revision ID: scheduler_leases_deleted_orgs
Revises: n8n_callbacks
Create Date: 2026-12-01

``scheduler_due_projects`` returned every active project, including those of an
organization Clerk had deleted, so the tick kept advancing them. It now skips
organizations with ``deleted_at`` set, which means the scheduler role may read two
columns of ``organizations`` (``id``, ``deleted_at``) through a policy naming it
(ADR 0002). ``CREATE OR REPLACE`` keeps the function's owner and grants; downgrade
puts the previous body back and takes the reach away again.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _schema() -> str:
    return str(
        context.get_context().dialect.identifier_preparer.quote(
            op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
        )
    )


def _replace_due_projects(body: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION scheduler_due_projects(p_now timestamptz, p_limit integer)
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {_schema()}, pg_temp
        AS $$ {body} $$
        """
    )


def upgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    op.execute(f"GRANT SELECT (id, deleted_at) ON organizations TO {scheduler_role}")
    op.execute(
        "CREATE POLICY scheduler_discovery ON organizations FOR SELECT "
        f"TO {scheduler_role} USING (true)"
    )
    _replace_due_projects(DUE_PROJECTS.format(organization_alive=ORGANIZATION_ALIVE))


def downgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    _replace_due_projects(DUE_PROJECTS.format(organization_alive=""))
    op.execute("DROP POLICY scheduler_discovery ON organizations")
    op.execute(f"REVOKE SELECT (id, deleted_at) ON organizations FROM {scheduler_role}")
