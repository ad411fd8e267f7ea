"""Planning notes that a run carries, and readers' feedback on episodes.

Revision ID: notes_sent_feedback
Revises: memory_ids
Create Date: 2026-12-01

* ``planning_notes.status`` may be ``sent``: an open generation run carries the note
  (pending → sent → incorporated, or back to pending when the run fails; ADR 0016).
  The CHECK constraint is replaced by a wider one, which every row already meets. Only
  the new release's worker writes ``sent``; the previous release's API cannot read it,
  so the API is deployed before the workers (README, "Migrations that keep the previous
  release running").
* ``episode_feedback``: a reader's rating (1 to 5) and comment on an episode, one per
  reader and episode (``uq_episode_feedback_reader``, the upsert's conflict target), and
  the index the writer's recent feedback is read through. A tenant table like the
  others: row-level security enabled and forced, the ``tenant_isolation`` policy, the
  app role may SELECT, INSERT and UPDATE it (a second verdict replaces the first), the
  operators' read (ADR 0013), nothing for the hosted Data API roles. Nothing crosses
  tenants, so ADR 0007's list is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "notes_sent_feedback"
down_revision: str | None = "memory_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"
TABLE = "episode_feedback"
HOSTED_API_ROLES = ("anon", "authenticated")
ID = sa.Text(collation="C")
NOTE_STATUS = "ck_planning_notes_status"


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    op.drop_constraint(op.f(NOTE_STATUS), "planning_notes", type_="check")
    op.create_check_constraint(
        op.f(NOTE_STATUS),
        "planning_notes",
        "status IN ('pending', 'sent', 'incorporated', 'archived')",
    )
    _create_table()
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON {TABLE} TO {app_role}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {TABLE} "
        f"USING (organization_id = {ORG_SETTING}) "
        f"WITH CHECK (organization_id = {ORG_SETTING})"
    )
    # The operators' read (`manyfutures db tables`, `db preview`; ADR 0013).
    op.execute(f"GRANT SELECT ON {TABLE} TO {scheduler_role}")
    op.execute(
        f"CREATE POLICY operations_read ON {TABLE} FOR SELECT TO {scheduler_role} USING (true)"
    )
    _close_hosted_api_roles()


def downgrade() -> None:
    op.drop_index("ix_episode_feedback_organization_id_project_id_updated_at", table_name=TABLE)
    op.drop_index("uq_episode_feedback_reader", table_name=TABLE)
    op.drop_table(TABLE)
    # A sent note was not written from yet: pending again, as a failed run leaves it.
    op.execute(
        "UPDATE planning_notes SET status = 'pending', episode_id = NULL WHERE status = 'sent'"
    )
    op.drop_constraint(op.f(NOTE_STATUS), "planning_notes", type_="check")
    op.create_check_constraint(
        op.f(NOTE_STATUS), "planning_notes", "status IN ('pending', 'incorporated', 'archived')"
    )


def _create_table() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("episode_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_episode_feedback_rating_range")),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_episode_feedback_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_episode_feedback_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_episode_feedback_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_feedback")),
    )
    op.create_index(
        "uq_episode_feedback_reader",
        TABLE,
        ["organization_id", "episode_id", "user_id"],
        unique=True,
    )
    op.create_index(
        "ix_episode_feedback_organization_id_project_id_updated_at",
        TABLE,
        ["organization_id", "project_id", "updated_at"],
        unique=False,
    )


def _close_hosted_api_roles() -> None:
    """As 0001 does for its objects: a hosted Data API's roles get nothing of this."""
    op.execute(
        f"""
        DO $$
        DECLARE api_role text;
        BEGIN
            FOREACH api_role IN ARRAY ARRAY{list(HOSTED_API_ROLES)!r}::text[] LOOP
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                    EXECUTE format('REVOKE ALL ON TABLE {TABLE} FROM %I', api_role);
                END IF;
            END LOOP;
        END
        $$
        """
    )
