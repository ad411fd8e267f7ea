"""``manyfutures worker``: an RQ worker for the generation and outbox queues (production)."""

from __future__ import annotations

import argparse

from manyfutures.entrypoints.cli.command import Subcommands, require_rq
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "worker", help="an RQ worker on MANYFUTURES_REDIS_URL (needs MANYFUTURES_DISPATCHER=rq)"
    )
    parser.add_argument(
        "queues",
        nargs="*",
        metavar="QUEUE",
        help="queues to listen on, in priority order (default: generation outbox, "
        "and simulation with the simulated generator)",
    )
    parser.add_argument(
        "--burst", action="store_true", help="quit when the queues are empty instead of waiting"
    )
    parser.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if (refusal := require_rq("worker", settings)) is not None:
        return refusal
    from manyfutures.entrypoints.worker import run_worker

    run_worker(settings, args.queues, burst=args.burst)
    return 0
