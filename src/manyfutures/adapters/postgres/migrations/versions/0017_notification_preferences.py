"""Readers' notification switches, and the outbox's unsubscribe link.

Revision ID: notification_preferences
Revises: engagement_events
Create Date: 2026-12-01

* ``notification_preferences``: one row per switch a reader flipped (kind and channel,
  on or off) in one organization; a switch with no row is on (core/notifications).
  Unique on (organization, user, kind, channel), which the repository's
  ``INSERT … ON CONFLICT DO UPDATE`` targets. A tenant table like the others:
  row-level security enabled and forced, the ``tenant_isolation`` policy, the app
  role's SELECT, INSERT and UPDATE, the operators' read, nothing for the hosted API.
* ``outbox_messages.list_unsubscribe`` (nullable): the signed one-click unsubscribe
  link written with the email (docs/adr/0019), sent as its ``List-Unsubscribe``
  header; NULL for every message written before. The dispatcher's functions return
  ``SETOF outbox_messages`` and so return the new column unchanged (as 0008 did for
  ``html``); the table-wide grants cover it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "notification_preferences"
down_revision: str | None = "engagement_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"
TABLE = "notification_preferences"
UNIQUE_SWITCH = "uq_notification_preferences_switch"
HOSTED_API_ROLES = ("anon", "authenticated")
ID = sa.Text(collation="C")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    op.add_column("outbox_messages", sa.Column("list_unsubscribe", sa.Text(), nullable=True))
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('episode_ready', 'generation_failed', 'cost_alerts')",
            name=op.f("ck_notification_preferences_kind"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'in_app')", name=op.f("ck_notification_preferences_channel")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notification_preferences_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
    )
    op.create_index(
        UNIQUE_SWITCH, TABLE, ["organization_id", "user_id", "kind", "channel"], unique=True
    )
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
    op.drop_index(UNIQUE_SWITCH, table_name=TABLE)
    op.drop_table(TABLE)
    op.drop_column("outbox_messages", "list_unsubscribe")


def _close_hosted_api_roles() -> None:
    """As 0001 does for its objects: a hosted Data API's roles get nothing of this table."""
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
