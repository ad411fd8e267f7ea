"""Assistant conversations: onboarding sessions beside chat ones, and replies with a status.

Revision ID: assistant_conversations
Revises: notes_sent_feedback
Create Date: 2026-12-01

* ``chat_sessions`` holds onboarding sessions too: ``kind`` ('onboarding' or 'chat',
  existing rows 'chat'), ``project_id`` nullable (an onboarding session has no project
  until it completes; a CHECK keeps it required for chat), ``proposal`` (onboarding's
  latest suggestion, JSON) and ``completed_at``.
* ``chat_messages`` replies are produced by a job (ADR 0017): ``status`` ('pending',
  'completed', 'failed'; existing rows 'completed'), ``attempt`` (each retry reserves on
  the cost gate under its own key), ``error``, ``requested_at`` and ``answered_at``. A
  reply is stored pending and later completed or failed, so the app role gains UPDATE
  on ``chat_messages`` (it was an append-only ledger).

Both tables already have row-level security, their policies, the operators' read and
the hosted API revokes (0001, 0009); nothing crosses tenants, so ADR 0007's list is
unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "assistant_conversations"
down_revision: str | None = "notes_sent_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.add_column(
        "chat_sessions",
        sa.Column("kind", sa.Text(), server_default=sa.text("'chat'"), nullable=False),
    )
    op.add_column(
        "chat_sessions",
        sa.Column("proposal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("chat_sessions", sa.Column("completed_at", sa.DateTime(timezone=True)))
    op.execute("ALTER TABLE chat_sessions ALTER COLUMN project_id DROP NOT NULL")
    op.create_check_constraint(
        op.f("ck_chat_sessions_kind"), "chat_sessions", "kind IN ('onboarding', 'chat')"
    )
    op.create_check_constraint(
        op.f("ck_chat_sessions_chat_has_project"),
        "chat_sessions",
        "kind = 'onboarding' OR project_id IS NOT NULL",
    )
    op.add_column(
        "chat_messages",
        sa.Column("status", sa.Text(), server_default=sa.text("'completed'"), nullable=False),
    )
    op.add_column(
        "chat_messages",
        sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column("chat_messages", sa.Column("error", sa.Text()))
    op.add_column("chat_messages", sa.Column("requested_at", sa.DateTime(timezone=True)))
    op.add_column("chat_messages", sa.Column("answered_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        op.f("ck_chat_messages_status"),
        "chat_messages",
        "status IN ('pending', 'completed', 'failed')",
    )
    op.create_check_constraint(
        op.f("ck_chat_messages_attempt_positive"), "chat_messages", "attempt >= 1"
    )
    op.execute(f"GRANT UPDATE ON chat_messages TO {app_role}")


def downgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.execute(f"REVOKE UPDATE ON chat_messages FROM {app_role}")
    for column in ("answered_at", "requested_at", "error", "attempt", "status"):
        op.drop_column("chat_messages", column)
    # Onboarding sessions cannot exist without a project before this revision.
    op.execute(
        "DELETE FROM chat_messages WHERE session_id IN "
        "(SELECT id FROM chat_sessions WHERE project_id IS NULL)"
    )
    op.execute("DELETE FROM chat_sessions WHERE project_id IS NULL")
    op.execute("ALTER TABLE chat_sessions ALTER COLUMN project_id SET NOT NULL")
    for column in ("completed_at", "proposal", "kind"):
        op.drop_column("chat_sessions", column)
