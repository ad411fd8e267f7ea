"""``manyfutures run``: the API, workers, scheduler and outbox dispatcher in one process."""

from __future__ import annotations

import argparse

from manyfutures.entrypoints.cli.command import Subcommands, add_bind_options
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "run",
        help="API, workers, scheduler and outbox dispatcher in one process (memory by default)",
    )
    add_bind_options(parser)
    parser.add_argument("--no-demo", action="store_true", help="start without the demo tenant")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.entrypoints.all_in_one import run_all_in_one

    run_all_in_one(settings, demo=not args.no_demo)
    return 0
