"""The ``manyfutures`` command."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence

from manyfutures.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manyfutures", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="API, worker and scheduler in one process (memory mode by default)"
    )
    run.add_argument("--host", help="default: MANYFUTURES_HOST or 127.0.0.1")
    run.add_argument("--port", type=int, help="default: MANYFUTURES_PORT or 8000")
    run.add_argument("--no-demo", action="store_true", help="start without the demo tenant")
    serve_cmd = commands.add_parser("serve", help="the HTTP API under gunicorn (production)")
    serve_cmd.add_argument("--host", help="default: MANYFUTURES_HOST or 127.0.0.1")
    serve_cmd.add_argument("--port", type=int, help="default: MANYFUTURES_PORT or 8000")
    serve_cmd.add_argument("--workers", type=int, help="default: MANYFUTURES_WEB_WORKERS or 2")
    serve_cmd.add_argument("--threads", type=int, help="default: MANYFUTURES_WEB_THREADS or 2")
    db_cmd = commands.add_parser("db", help="PostgreSQL maintenance, as the owner")
    db_commands = db_cmd.add_subparsers(dest="db_command", required=True)
    upgrade_cmd = db_commands.add_parser(
        "upgrade",
        help="apply migrations as MANYFUTURES_DATABASE_URL (the owner); creates the app role",
    )
    upgrade_cmd.add_argument("revision", nargs="?", default="head", help="default: head")
    args = parser.parse_args(argv)
    try:
        settings = _with_options(Settings.from_env(os.environ), args)
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "db":
        return _db(args, settings)
    if args.command == "serve":
        from manyfutures.entrypoints.http.server import serve

        serve(settings)
        return 0
    from manyfutures.entrypoints.all_in_one import run_all_in_one

    run_all_in_one(settings, demo=not args.no_demo)
    return 0


# Command-line option -> the setting it overrides.
_OPTIONS = {"host": "host", "port": "port", "workers": "web_workers", "threads": "web_threads"}


def _with_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """Options win over the environment, applied here once and checked by the same rules,
    so ``--workers 0`` fails like ``MANYFUTURES_WEB_WORKERS=0`` instead of reaching gunicorn."""
    overrides = {
        setting: value
        for option, setting in _OPTIONS.items()
        if (value := getattr(args, option, None)) is not None
    }
    settings = dataclasses.replace(settings, **overrides)
    settings.validate()
    return settings


def _db(args: argparse.Namespace, settings: Settings) -> int:
    """``db upgrade [REV]``: migrations always run as the owner, never as the app role."""
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
        print(f"db {args.db_command} failed: {error}", file=sys.stderr)
        return 1
    print(f"{url.render_as_string()}: {before or 'empty'} -> {after or 'empty'}")
    return 0
