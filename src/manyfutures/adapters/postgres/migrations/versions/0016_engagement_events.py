"""Engagement events: the first opened episode once per user; feature flags that gate.

Revision ID: engagement_events
Revises: assistant_conversations
Create Date: 2026-12-01

* ``uq_user_events_first_episode_opened``: a partial unique index on ``user_events
  (organization_id, user_id) WHERE event_type = 'first_episode_opened'``. Opening a
  published episode records ``first_episode_opened`` when the reader has none yet; two
  opens racing each other both see none, and the index refuses the second at commit, which
  then opens again without it (``GetEpisode``). The memory adapter re-enacts it at commit.
  The server records the event from this release on and clients may no longer send it, so
  a duplicate could only come from an older client through ``POST /v1/events``: those are
  removed first, keeping each user's earliest, or the index could not be built.
* Feature flags: only ``chat`` and ``highlights`` gate anything (ADR 0018), so the names
  an admin can no longer set (``memories``, ``onboarding``, ``notifications``) leave every
  organization's ``enabled_features`` and ``experimental_features``, order kept.

Row-level security is forced on both tables, so it binds their owner too; as in 0006, the
repair lifts the forcing for its own statements in this transaction and puts it back.
Nothing changes for the app role: its grants (``SELECT, INSERT`` on ``user_events``) and
policies stay as they are. Downgrade drops the index; the dropped names stay dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "engagement_events"
down_revision: str | None = "assistant_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_user_events_first_episode_opened"
REPAIRED_TABLES = ("user_events", "organizations")
KEPT_FEATURES = "'{chat,highlights}'::text[]"

DROP_LATER_FIRST_OPENS = """
    DELETE FROM user_events AS later
     USING user_events AS earlier
     WHERE later.event_type = 'first_episode_opened'
       AND earlier.event_type = 'first_episode_opened'
       AND earlier.organization_id = later.organization_id
       AND earlier.user_id = later.user_id
       AND earlier.id < later.id
"""


def _kept(column: str) -> str:
    return (
        f"ARRAY(SELECT name FROM unnest({column}) WITH ORDINALITY AS f(name, n) "
        f"WHERE name = ANY({KEPT_FEATURES}) ORDER BY n)"
    )


DROP_UNGATED_FEATURES = f"""
    UPDATE organizations
       SET enabled_features = {_kept("enabled_features")},
           experimental_features = {_kept("experimental_features")}
     WHERE NOT (enabled_features <@ {KEPT_FEATURES}
                AND experimental_features <@ {KEPT_FEATURES})
"""


def upgrade() -> None:
    for table in REPAIRED_TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(DROP_LATER_FIRST_OPENS)
    op.execute(DROP_UNGATED_FEATURES)
    for table in REPAIRED_TABLES:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.create_index(
        INDEX,
        "user_events",
        ["organization_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("event_type = 'first_episode_opened'"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="user_events")
