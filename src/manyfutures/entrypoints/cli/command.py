"""The interface every command group module offers, so ``main`` lists groups instead of
branching on their names."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Protocol, TypeAlias

from manyfutures.settings import Settings

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
# Runs a command with the validated settings; returns the process's exit status.
Handler: TypeAlias = Callable[[argparse.Namespace, Settings], int]


class CommandGroup(Protocol):
    """A module that adds its parser to ``commands`` and sets ``handler`` (a ``Handler``)
    as a default on it, or on each of its subcommands."""

    def register(self, commands: Subcommands) -> None: ...


def add_bind_options(parser: argparse.ArgumentParser) -> None:
    """``--host``/``--port`` for the commands that listen; ``main`` applies them to settings."""
    parser.add_argument("--host", help="default: MANYFUTURES_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: MANYFUTURES_PORT or 8000")


def require_rq(command: str, settings: Settings) -> int | None:
    """Exit status 2 and why, unless jobs go through RQ: a separate worker or scheduler with
    the in-process thread pool would run jobs nobody else sees."""
    if settings.dispatcher == "rq":
        return None
    print(
        f"configuration error: manyfutures {command} runs with MANYFUTURES_DISPATCHER=rq "
        "(and MANYFUTURES_REDIS_URL, MANYFUTURES_STORAGE=postgres); "
        "`manyfutures run` is the single-process mode",
        file=sys.stderr,
    )
    return 2
