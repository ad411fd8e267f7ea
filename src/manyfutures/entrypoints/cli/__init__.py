"""The ``manyfutures`` command: one module per command group, listed in ``COMMAND_GROUPS``.

A group's module adds its parser and sets its handler; ``main`` does what every command
shares once (settings from the environment, option overrides, logging) and then calls
the handler. A new group (``worker``, ``scheduler``, ``memories``, …) is one new module
plus one entry in ``COMMAND_GROUPS``. Handlers import their heavy dependencies (gunicorn,
SQLAlchemy, werkzeug) when they run, so ``manyfutures --help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence

from manyfutures import TZDATA_VERSION
from manyfutures.entrypoints.cli import (
    db,
    episodes,
    memories,
    openapi,
    orgs,
    outbox,
    run,
    scheduler,
    serve,
    worker,
)
from manyfutures.entrypoints.cli.command import CommandGroup, Handler
from manyfutures.entrypoints.logs import configure_logging
from manyfutures.settings import Settings, SettingsError

COMMAND_GROUPS: tuple[CommandGroup, ...] = (
    run,
    serve,
    worker,
    scheduler,
    db,
    outbox,
    episodes,
    orgs,
    memories,
    openapi,
)
logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _with_options(Settings.from_env(os.environ), args)
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings, args.command)
    logger.info(
        "time-zone rules: tzdata %s (the package only; OS zone files are not read)", TZDATA_VERSION
    )
    handler: Handler = args.handler
    return handler(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manyfutures", description="The ``manyfutures`` command.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


# Command-line option -> the setting it overrides.
_OPTIONS = {"host": "host", "port": "port", "workers": "web_workers", "threads": "web_threads"}


def _with_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """Options win over the environment, applied here once and checked by the same rules,
    so ``--workers 0`` fails like ``MANYFUTURES_WEB_WORKERS=0`` instead of reaching gunicorn."""
    overrides = {
        setting: value
        for option, setting in _OPTIONS.items()
        if (value := getattr(args, option, None)) is not None
    }
    settings = dataclasses.replace(settings, **overrides)
    settings.validate()
    return settings
