"""``manyfutures db …``: the PostgreSQL database, for operators, always as the owner.

Every subcommand connects with ``MANYFUTURES_DATABASE_URL`` (the owner), never as the
app role. ``migrations`` moves and reports the schema (status, upgrade, downgrade,
history), ``inspect`` shows what is stored (tables, preview), ``lint`` checks the
live schema against the project's rules. Each handler imports SQLAlchemy and the
adapter when it runs, so ``manyfutures --help`` stays fast.
"""

from __future__ import annotations

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.entrypoints.cli.db import inspect, lint, migrations


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("db", help="the PostgreSQL database, as the owner")
    db_commands = parser.add_subparsers(dest="db_command", required=True)
    migrations.register(db_commands)
    inspect.register(db_commands)
    lint.register(db_commands)
