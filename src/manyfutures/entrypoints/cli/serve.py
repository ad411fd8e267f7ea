"""``manyfutures serve``: the HTTP API under granian or gunicorn, for production."""

from __future__ import annotations

import argparse

from manyfutures.entrypoints.cli.command import Subcommands, add_bind_options
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "serve", help="the HTTP API under granian or gunicorn (production)"
    )
    add_bind_options(parser)
    parser.add_argument("--workers", type=int, help="default: MANYFUTURES_WEB_WORKERS or 2")
    parser.add_argument("--threads", type=int, help="default: MANYFUTURES_WEB_THREADS or 2")
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.entrypoints.http.server import serve

    serve(settings)
    return 0
