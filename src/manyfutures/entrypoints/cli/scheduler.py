"""``manyfutures scheduler``: the scheduler tick, every MANYFUTURES_TICK_SECONDS (production)."""

from __future__ import annotations

import argparse

from manyfutures.entrypoints.cli.command import Subcommands, require_rq
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "scheduler",
        help="claim due episodes and hand them to RQ workers (needs MANYFUTURES_DISPATCHER=rq)",
    )
    parser.set_defaults(handler=_scheduler)


def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    if (refusal := require_rq("scheduler", settings)) is not None:
        return refusal
    from manyfutures.entrypoints.scheduler import run_scheduler

    run_scheduler(settings)
    return 0
