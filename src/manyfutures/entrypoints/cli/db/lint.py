"""``db lint``: the live schema against the project's rules; exit 1 naming each violation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.entrypoints.cli.db.connect import owner_connection, reporting_failures
from manyfutures.entrypoints.cli.text_table import render
from manyfutures.settings import Settings


def register(db_commands: Subcommands) -> None:
    lint = db_commands.add_parser(
        "lint", help="check the live schema against the project's rules (exit 1 on a violation)"
    )
    lint.add_argument(
        "--adr",
        type=Path,
        help="ADR 0007 (the list of cross-tenant functions); default: the source checkout's",
    )
    lint.set_defaults(handler=_lint)


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.adapters.postgres.operations.cross_tenant import (
        SOURCE_ADR,
        AdrFormatError,
        read_listed,
    )
    from manyfutures.adapters.postgres.operations.lint import CHECKS, lint, model_rules

    adr = args.adr or SOURCE_ADR
    try:
        listed = read_listed(adr)
    except (OSError, AdrFormatError) as error:
        print(f"db lint: cannot read the cross-tenant functions' list: {error}", file=sys.stderr)
        return 2
    rules = model_rules(settings.db_app_role, settings.db_scheduler_role, listed.allowed)

    def run() -> int:
        with owner_connection(settings) as connection:
            violations = lint(connection, rules)
        if not violations:
            print(f"db lint: no violations ({len(CHECKS)} checks)")
            return 0
        rows = [(v.rule, v.subject, v.message) for v in violations]
        print(render(("rule", "subject", "violation"), rows))
        print(f"db lint: {len(violations)} violation{'s' * (len(violations) > 1)}")
        return 1

    return reporting_failures("lint", run)
