"""Logging for every process: JSON lines by default, human-readable text for ``make run``.

Each line has the time, level, logger and message, and whichever of the request id,
job id, organization, run and episode ids the code that logged was working on
(``manyfutures.log_context``). Installed once per process by ``manyfutures`` before
the command runs, on the root logger, so gunicorn's, RQ's and the libraries' lines
come out the same way.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from manyfutures.log_context import FIELDS, ContextFilter
from manyfutures.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


class _TextFormatter(logging.Formatter):
    """The text line, with the context ids appended as ``key=value`` when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(
            f"{name}={getattr(record, name)}" for name in FIELDS if hasattr(record, name)
        )
        record.context = f" [{pairs}]" if pairs else ""
        return super().format(record)


def log_format(settings: Settings, command: str) -> str:
    """MANYFUTURES_LOG_FORMAT, else text for ``run`` (a developer's terminal) and JSON
    for the production commands, whose lines go to a log collector."""
    if settings.log_format:
        return settings.log_format
    return "text" if command == "run" else "json"


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installs, so installing again replaces only it."""


class _StderrHandler(_OurHandler):
    """Writes to ``sys.stderr`` as it is at each line, not as it was when installed.

    Whoever swaps ``sys.stderr`` (a test runner capturing one test's output) and later
    closes the swapped stream would otherwise leave the handler writing to a closed
    file, and every later line would end in "--- Logging error ---". The standard
    library's own last-resort handler resolves the stream the same way.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _replaced: TextIO) -> None:
        """Setting the stream (the base class does, once) changes nothing."""


def configure_logging(settings: Settings, command: str, stream: TextIO | None = None) -> None:
    """One handler on the root logger, writing to ``stream``, else to stderr; a handler
    installed by an earlier call is replaced, anyone else's (a test runner's capture)
    left alone."""
    handler = _OurHandler(stream) if stream is not None else _StderrHandler()
    handler.addFilter(ContextFilter())
    if log_format(settings, command) == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(_TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _OurHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
