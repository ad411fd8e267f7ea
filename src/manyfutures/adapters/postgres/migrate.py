"""Running the migrations from code: ``manyfutures db upgrade`` and the test fixtures.

Migrations always run as the *owner* (``MANYFUTURES_DATABASE_URL``), never as the
app role: the owner creates and owns the tables, the roles and the functions; the
app role only receives grants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from manyfutures.adapters.postgres.engine import (
    DEFAULT_APP_ROLE,
    DEFAULT_SCHEDULER_ROLE,
    check_role_name,
    normalize_url,
)
from manyfutures.adapters.postgres.migration_history import BOOKKEEPING_TABLES
from manyfutures.adapters.postgres.registry import METADATA

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(
    owner_url: str | None = None,
    *,
    app_role: str = DEFAULT_APP_ROLE,
    scheduler_role: str = DEFAULT_SCHEDULER_ROLE,
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if owner_url:
        # Alembic's config is an ini parser: a '%' in a password must be doubled.
        rendered = normalize_url(owner_url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.attributes["app_role"] = check_role_name(app_role)
    config.attributes["scheduler_role"] = check_role_name(scheduler_role)
    return config


def upgrade(config: Config, revision: str = "head") -> None:
    command.upgrade(config, revision)


def downgrade(config: Config, revision: str) -> None:
    """Run the downgrade() of every migration above ``revision``, in one transaction."""
    command.downgrade(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the migration runner's own tables out of every schema comparison: they
    have no model (``migration_history.BOOKKEEPING_TABLES``)."""
    return not (type_ == "table" and name in BOOKKEEPING_TABLES)


def schema_drift(connection: Connection) -> list[Any]:
    """What ``alembic check`` would report: differences between the models and the database.

    Empty when the migrated schema matches every capability's table rows
    (``registry.METADATA``). Alembic does not compare CHECK constraints, policies,
    triggers or functions; the integration tests check those directly.
    """
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, METADATA))
