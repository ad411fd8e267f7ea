"""``manyfutures db …``: PostgreSQL maintenance, always as the owner, never as the app role."""

from __future__ import annotations

import argparse
import sys

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("db", help="PostgreSQL maintenance, as the owner")
    db_commands = parser.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply migrations as MANYFUTURES_DATABASE_URL (the owner); creates the app role",
    )
    upgrade.add_argument("revision", nargs="?", default="head", help="default: head")
    upgrade.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """``db upgrade [REV]``: prints the revision before and after."""
    from sqlalchemy.exc import SQLAlchemyError

    from manyfutures.adapters.postgres.engine import (
        DatabaseConfigError,
        create_owner_engine,
        normalize_url,
    )
    from manyfutures.adapters.postgres.migrate import alembic_config, current_revision, upgrade

    try:
        url = normalize_url(settings.database_url)
        config = alembic_config(
            settings.database_url,
            app_role=settings.db_app_role,
            scheduler_role=settings.db_scheduler_role,
        )
        engine = create_owner_engine(url)
        try:
            with engine.connect() as connection:
                before = current_revision(connection)
            upgrade(config, args.revision)
            with engine.connect() as connection:
                after = current_revision(connection)
        finally:
            engine.dispose()
    except (DatabaseConfigError, SQLAlchemyError) as error:
        print(f"db upgrade failed: {error}", file=sys.stderr)
        return 1
    print(f"{url.render_as_string()}: {before or 'empty'} -> {after or 'empty'}")
    return 0
