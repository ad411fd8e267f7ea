"""``db status``, ``db upgrade``, ``db downgrade`` and ``db history``: the schema's place
in the migrations, moving it, and the record of every move."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.entrypoints.cli.db.connect import owner_connection, reporting_failures
from manyfutures.entrypoints.cli.text_table import cell, render
from manyfutures.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config


def register(db_commands: Subcommands) -> None:
    status = db_commands.add_parser(
        "status", help="current and head revision, pending migrations, drift from the models"
    )
    status.add_argument(
        "--check", action="store_true", help="exit 1 if a migration is pending or models drift"
    )
    status.set_defaults(handler=_status)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply migrations as MANYFUTURES_DATABASE_URL (the owner); creates the app role",
    )
    upgrade.add_argument("revision", nargs="?", default="head", help="default: head")
    upgrade.set_defaults(handler=_upgrade)
    downgrade = db_commands.add_parser(
        "downgrade", help="undo migrations down to REVISION (asks first; drops what they added)"
    )
    downgrade.add_argument("revision", help="the revision to end at ('base': nothing)")
    downgrade.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    downgrade.set_defaults(handler=_downgrade)
    history = db_commands.add_parser(
        "history", help="every migration applied to this database: when, by whom, which release"
    )
    history.set_defaults(handler=_history)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    """``db status [--check]``."""
    from manyfutures.adapters.postgres.operations.status import describe, migration_status

    def run() -> int:
        with owner_connection(settings) as connection:
            status = migration_status(connection)
            where = connection.engine.url.render_as_string()
        pending = (
            "none"
            if not status.pending
            else f"{len(status.pending)} migration{'s' * (len(status.pending) > 1)}"
        )
        if status.unknown:
            pending = "unknown: this package does not know the current revision (a newer release?)"
        lines = [
            ("database", where),
            ("current", status.current or "none (empty database)"),
            ("head", status.head),
            ("pending", pending),
            *(("", f"{m.revision}  {cell(m.title, 72)}") for m in status.pending),
            ("drift", _drift(len(status.drift))),
            *(("", describe(difference)) for difference in status.drift),
        ]
        print(render(("", ""), lines).split("\n", 1)[1])
        if args.check and not status.ok:
            print(
                "db status --check: the database is not at this release's schema", file=sys.stderr
            )
            return 1
        return 0

    return reporting_failures("status", run)


def _drift(differences: int) -> str:
    if not differences:
        return "none: the models match the database"
    return f"{differences} difference{'s' * (differences > 1)} between the models and the database:"


def _config(settings: Settings) -> Config:
    from manyfutures.adapters.postgres.migrate import alembic_config

    return alembic_config(
        settings.database_url,
        app_role=settings.db_app_role,
        scheduler_role=settings.db_scheduler_role,
    )


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """``db upgrade [REV]``: prints the revision before and after; an unknown REV is 2."""
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    from manyfutures.adapters.postgres.migrate import current_revision, upgrade

    def run() -> int:
        config = _config(settings)
        with owner_connection(settings) as connection:
            before = current_revision(connection)
            where = connection.engine.url.render_as_string()
        try:
            upgrade(config, args.revision)
        except (CommandError, RevisionError) as error:
            print(f"db upgrade: {error}", file=sys.stderr)
            return 2
        with owner_connection(settings) as connection:
            after = current_revision(connection)
        print(f"{where}: {before or 'empty'} -> {after or 'empty'}")
        return 0

    return reporting_failures("upgrade", run)


def _downgrade(args: argparse.Namespace, settings: Settings) -> int:
    """``db downgrade REV [--yes]``: lists what would be undone and asks, unless --yes."""
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    from manyfutures.adapters.postgres.migrate import current_revision, downgrade
    from manyfutures.adapters.postgres.operations.status import scripts, title

    def run() -> int:
        config = _config(settings)
        with owner_connection(settings) as connection:
            before = current_revision(connection)
            where = connection.engine.url.render_as_string()
        try:
            undone = [
                s.revision for s in scripts().iterate_revisions(before or "base", args.revision)
            ]
        except (CommandError, RevisionError) as error:
            print(f"db downgrade: {error}", file=sys.stderr)
            return 2
        if args.revision in undone:  # iterate_revisions includes the lower end
            undone.remove(args.revision)
        if not undone:
            print(f"{where}: already at {before or 'empty'}; nothing to downgrade")
            return 0
        if not args.yes and not _confirmed(where, before, args.revision, undone, title):
            print("db downgrade: not confirmed; nothing was changed", file=sys.stderr)
            return 1
        downgrade(config, args.revision)
        with owner_connection(settings) as connection:
            after = current_revision(connection)
        print(f"{where}: {before or 'empty'} -> {after or 'empty'}")
        return 0

    return reporting_failures("downgrade", run)


def _confirmed(
    where: str, before: str | None, target: str, undone: list[str], title: Callable[[str], str]
) -> bool:
    """Ask on the terminal; anything but "yes" (or no terminal at all) is a no."""
    print(f"Downgrade {where} from {before} to {target}, undoing:", file=sys.stderr)
    for revision in undone:
        print(f"  {revision}  {cell(title(revision), 72)}", file=sys.stderr)
    print("A downgrade drops what those migrations added, data included.", file=sys.stderr)
    try:
        answer = input('Type "yes" to go on: ')
    except EOFError:
        return False
    return answer.strip() == "yes"


def _history(args: argparse.Namespace, settings: Settings) -> int:
    """``db history``: the migration runner's record, oldest first."""
    from manyfutures.adapters.postgres import migration_history

    def run() -> int:
        with owner_connection(settings) as connection:
            entries = migration_history.read(connection)
        if entries is None:
            print(
                f"db history: this database has no {migration_history.TABLE} table yet "
                "(migration database_operations creates it); run `manyfutures db upgrade`",
                file=sys.stderr,
            )
            return 1
        rows = [
            (
                entry.applied_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
                if entry.applied_at
                else "before tracking",
                entry.direction,
                entry.revision,
                entry.applied_by or "",
                entry.package_version or "",
            )
            for entry in entries
        ]
        print(render(("applied at (UTC)", "direction", "revision", "role", "package"), rows))
        return 0

    return reporting_failures("history", run)
