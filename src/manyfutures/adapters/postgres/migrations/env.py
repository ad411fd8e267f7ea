"""Alembic environment: always online, always as the owner, one transaction per run.

Only ever run with the config ``migrate.alembic_config`` builds in code (for
``manyfutures db upgrade`` and the tests), so this works from an installed package
without an ``alembic.ini``. Role names reach the migrations through
``config.attributes``, already checked there, because they are settings
(``MANYFUTURES_DB_APP_ROLE``, ``MANYFUTURES_DB_SCHEDULER_ROLE``), not constants.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.registry import METADATA

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        compare_type=True,
        # All revisions in one transaction: a failed upgrade leaves the schema as it was.
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


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
