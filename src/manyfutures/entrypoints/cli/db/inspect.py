"""``db tables`` and ``db preview``: what is stored, across organizations, secrets masked."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.entrypoints.cli.db.connect import owner_connection, reporting_failures
from manyfutures.entrypoints.cli.text_table import cell, render
from manyfutures.settings import Settings

# Defaults as in operations/tables.py and operations/preview.py, repeated here so that
# `manyfutures --help` need not import SQLAlchemy; tests/unit/test_cli.py compares them.
DEFAULT_EXACT_BELOW = 100_000
DEFAULT_LIMIT = 10
NOT_ACTIVE = "empty: feature not active yet"


def register(db_commands: Subcommands) -> None:
    tables = db_commands.add_parser(
        "tables", help="every table's rows and size; empty tables are features not active yet"
    )
    tables.add_argument(
        "--exact-below",
        type=int,
        default=DEFAULT_EXACT_BELOW,
        metavar="N",
        help=f"count exactly up to N rows, estimate above (default: {DEFAULT_EXACT_BELOW})",
    )
    tables.set_defaults(handler=_tables)
    preview = db_commands.add_parser(
        "preview", help="a table's newest rows (secrets masked), as text or JSON"
    )
    preview.add_argument("table")
    preview.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="default: 10")
    preview.add_argument("--org", help="only this organization's rows")
    preview.add_argument("--json", action="store_true", help="a JSON array of the rows")
    preview.add_argument("--redact", action="store_true", help="mask email addresses too")
    preview.set_defaults(handler=_preview)


def size(total_bytes: int) -> str:
    """Like PostgreSQL's pg_size_pretty: whole bytes, then kB, MB, GB, TB (powers of 1024)."""
    value = float(total_bytes)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 10 * 1024:
            return f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.0f} TB"


def _tables(args: argparse.Namespace, settings: Settings) -> int:
    """``db tables [--exact-below N]``."""
    from manyfutures.adapters.postgres.operations.tables import table_rows

    if args.exact_below < 0:
        print("db tables: --exact-below must be 0 or more", file=sys.stderr)
        return 2

    def run() -> int:
        with owner_connection(settings) as connection:
            tables = table_rows(connection, args.exact_below)
        rows = []
        for table in tables:
            if not table.readable:
                count, note = "?", "not readable by the operators' functions: see db lint"
            elif table.exact:
                count, note = f"{table.rows:,}", NOT_ACTIVE if table.empty else ""
            elif table.rows is None:
                count, note = f">{args.exact_below:,}", "estimate: never analysed"
            else:
                estimate = max(table.rows, args.exact_below + 1)
                count, note = f"~{estimate:,}", "estimate (planner)"
            rows.append((table.name, count, size(table.total_bytes), note))
        print(render(("table", "rows", "size", ""), rows, right=(1, 2)))
        empty = sum(table.empty for table in tables)
        print(
            f"{len(tables)} tables, {empty} empty; rows exact up to {args.exact_below:,}, "
            "estimates marked ~"
        )
        return 0

    return reporting_failures("tables", run)


def _shown(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _preview(args: argparse.Namespace, settings: Settings) -> int:
    """``db preview TABLE [--limit N] [--org ORG] [--json] [--redact]``."""
    from manyfutures.adapters.postgres.operations.preview import PreviewError, known_tables, preview

    if args.table not in known_tables():  # before connecting: a typo needs no database
        print(
            f"db preview: unknown table {args.table!r}; known tables: {', '.join(known_tables())}",
            file=sys.stderr,
        )
        return 2

    def run() -> int:
        try:
            with owner_connection(settings) as connection:
                shown = preview(
                    connection,
                    args.table,
                    limit=args.limit,
                    organization=args.org,
                    redact=args.redact,
                )
        except PreviewError as error:
            print(f"db preview: {error}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(list(shown.rows), indent=2, ensure_ascii=False))
            return 0
        scope = f"organization {args.org}" if args.org else "every organization"
        rows = f"{len(shown.rows)} row{'s' * (len(shown.rows) != 1)}"
        print(f"{shown.table}: newest {rows}, {scope}; secrets masked")
        if shown.rows:
            cells = [[cell(_shown(row.get(c))) for c in shown.columns] for row in shown.rows]
            print(render(shown.columns, cells))
        return 0

    return reporting_failures("preview", run)
