"""Alembic environment: always online, always as the owner, one transaction per run.

Only ever run with the config ``migrate.alembic_config`` builds in code (for
``manyfutures db upgrade`` and the tests), so this works from an installed package
without an ``alembic.ini``. Role names reach the migrations through
``config.attributes``, already checked there, because they are settings
(``MANYFUTURES_DB_APP_ROLE``, ``MANYFUTURES_DB_SCHEDULER_ROLE``), not constants.

Every step run is written to ``migration_history`` at the end of the run, in its
transaction (migration_history.py says why the runner writes it, not the migrations).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection

from manyfutures.adapters.postgres import migration_history
from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.migrate import include_name
from manyfutures.adapters.postgres.registry import METADATA

config = context.config


def _run(connection: Connection) -> None:
    steps: list[migration_history.Step] = []

    def remember(
        ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Any
    ) -> None:
        if step.is_migration and step.up_revision_id is not None:
            direction = "upgrade" if step.is_upgrade else "downgrade"
            steps.append(migration_history.Step(step.up_revision_id, direction))

    context.configure(
        connection=connection,
        target_metadata=METADATA,
        compare_type=True,
        include_name=include_name,
        # All revisions in one transaction: a failed upgrade leaves the schema as it was.
        transaction_per_migration=False,
        on_version_apply=remember,
    )
    with context.begin_transaction():
        context.run_migrations()
        migration_history.record(
            connection, steps, migration_history.package_version(), _below(steps)
        )


def _below(steps: list[migration_history.Step]) -> list[str]:
    """The revisions a run that began with an upgrade found already applied, oldest first."""
    if not steps or steps[0].direction != "upgrade":
        return []
    scripts = context.script
    first = scripts.get_revision(steps[0].revision)
    if first is None or not first.down_revision:
        return []
    below = scripts.iterate_revisions(str(first.down_revision), "base")
    return [script.revision for script in reversed(list(below))]


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set MANYFUTURES_DATABASE_URL")
    engine = create_owner_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError(
        "offline (--sql) migrations are not supported: role names and the schema are "
        "resolved against the live server; run `manyfutures db upgrade`"
    )
run_migrations_online()
