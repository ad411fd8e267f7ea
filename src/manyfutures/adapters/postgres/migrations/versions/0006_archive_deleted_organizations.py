"""Repair: stop the projects of organizations deleted before deletion stopped them.

Revision ID: archive_deleted_organizations
Revises: scheduler_leases_deleted_orgs
Create Date: 2026-11-30

Until ``DeleteOrganization`` archived an organization's projects in the tombstone's
transaction, deleting an organization left its projects ACTIVE and their slots
pending. The scheduler no longer advances them (0005), but a slot already pending
could still be claimed and generated. This does once, for those organizations, what
deletion now does: every project not yet archived becomes ARCHIVED (its
next-scheduled cache cleared, its version bumped so a stale editor's write is
refused), and every slot that has not started (``pending``, ``blocked``) is
cancelled; a slot already running finishes, and its job cancels itself when it finds
the project archived. Running it again changes nothing.

Row-level security is forced on these tables, so it binds their owner too (on hosted
PostgreSQL the owner is no superuser). The repair lifts the *forcing* for its own
statements, in this migration's transaction, and puts it back before committing: no
other session ever sees the tables unforced, and the app role's policies never change.

There is nothing to undo on downgrade: the rows were wrong, not the schema.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "archive_deleted_organizations"
down_revision: str | None = "scheduler_leases_deleted_orgs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organizations", "projects", "episode_schedule_queue")

ARCHIVE_PROJECTS = """
    UPDATE projects AS p
       SET status = 'ARCHIVED',
           next_scheduled_at = NULL,
           updated_at = now(),
           version = p.version + 1
      FROM organizations AS o
     WHERE o.id = p.organization_id
       AND o.deleted_at IS NOT NULL
       AND p.status <> 'ARCHIVED'
"""
CANCEL_SLOTS = """
    UPDATE episode_schedule_queue AS q
       SET status = 'cancelled'
      FROM organizations AS o
     WHERE o.id = q.organization_id
       AND o.deleted_at IS NOT NULL
       AND q.status IN ('pending', 'blocked')
"""


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(ARCHIVE_PROJECTS)
    op.execute(CANCEL_SLOTS)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    """The repaired rows stay repaired."""
