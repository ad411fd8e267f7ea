"""``manyfutures memories …``: moving projects' memories from JSON to the table, for operators."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings

if TYPE_CHECKING:
    from manyfutures.core.feedback.memory_use_cases import MigrationOutcome
    from manyfutures.core.feedback.ports import JsonMemoryProject


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("memories", help="projects' memories, for operators")
    memories_commands = parser.add_subparsers(dest="memories_command", required=True)
    migrate = memories_commands.add_parser(
        "migrate",
        help="move JSON memories into agent_memory; one JSON line per project",
        description="Each project moves in one transaction (its memories, the count check "
        "and the switch to table storage commit together), so an interrupted run leaves "
        "every project wholly moved or wholly on JSON; running it again moves what is left. "
        "Projects already on the table are not listed.",
    )
    which = migrate.add_mutually_exclusive_group(required=True)
    which.add_argument("--project", metavar="ID", help="one project (proj_…)")
    which.add_argument("--all", action="store_true", help="every project still on JSON")
    migrate.add_argument(
        "--dry-run", action="store_true", help="report what would move, change nothing"
    )
    migrate.add_argument(
        "--step",
        action="store_true",
        help="before each project's commit, print a line and wait for Enter on stdin",
    )
    migrate.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.container import build_container
    from manyfutures.core.feedback.memory_use_cases import MigrateMemoriesRequest

    def report(ref: JsonMemoryProject, outcome: MigrationOutcome) -> None:
        _print(
            {
                "organizationId": ref.organization_id,
                "projectId": outcome.project_id,
                "moved": outcome.moved,
                "dryRun": args.dry_run,
                "migrated": outcome.migrated,
            }
        )

    def step(outcome: MigrationOutcome) -> None:
        _print({"step": "before-commit", "projectId": outcome.project_id, "moved": outcome.moved})
        sys.stdin.readline()

    request = MigrateMemoriesRequest(
        project_id=args.project,
        dry_run=args.dry_run,
        report=report,
        before_commit=step if args.step else None,
    )
    outcomes = build_container(settings).memories.migrate_memories()(request)
    if args.project is not None and not outcomes:
        print(
            f"memories migrate: no project {args.project} keeps its memories as JSON "
            "(already on the table, deleted, or unknown)",
            file=sys.stderr,
        )
    moved = sum(outcome.moved for outcome in outcomes)
    print(f"memories migrate: {len(outcomes)} project(s), {moved} memories", file=sys.stderr)
    return 0


def _print(line: dict[str, object]) -> None:
    print(json.dumps(line), flush=True)
