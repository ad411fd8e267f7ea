"""The outbox's HTML part: ``outbox_messages.html``.

Revision ID: outbox_html
Revises: outbox_due_count
Create Date: 2026-11-30

An email is rendered when it is written (plain text and HTML from the templates),
so the row holds exactly what will be sent; ``html`` is NULL for a text-only
message, and for every message written before this migration. The dispatcher's
functions return ``SETOF outbox_messages`` and so return the new column unchanged;
the app role's SELECT and INSERT and the scheduler role's SELECT are table-wide and
cover it, and the scheduler role still updates only the delivery columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox_html"
down_revision: str | None = "outbox_due_count"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("html", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "html")
