"""``manyfutures worker``: an RQ worker for the generation and outbox queues (production)."""

from __future__ import annotations

import argparse
import sys

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
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="run N workers forked from this process, each replaced by a new fork when it "
        "dies (default 1: this process is the worker)",
    )
    parser.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if (refusal := require_rq("worker", settings)) is not None:
        return refusal
    if args.processes < 1 or (args.processes > 1 and args.burst):
        print("worker: --processes must be at least 1, and 1 with --burst", file=sys.stderr)
        return 2
    from manyfutures.entrypoints.worker import run_worker, run_workers

    if args.processes > 1:
        run_workers(settings, args.processes, args.queues)
    else:
        run_worker(settings, args.queues, burst=args.burst)
    return 0
