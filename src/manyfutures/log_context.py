"""What every log line says about where it comes from: the request or job, and the
organization, run and episode it concerns, where known.

One context variable holds them, so a thread (gunicorn's, the thread pool's) or a job
sees only its own, and binding them is one ``ContextVar.set``: cheap enough for every
request. ``ContextFilter`` copies them onto each log record, for either log format.
Values are identifiers only, never tokens or secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType

FIELDS = ("request_id", "job_id", "organization_id", "run_id", "episode_id")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_context: ContextVar[Mapping[str, str]] = ContextVar("log_context", default=_EMPTY)


def bind(**fields: str | None) -> Token[Mapping[str, str]]:
    """Add ``fields`` (None values skipped) to the current context; ``unbind`` the token."""
    known = {name: value for name, value in fields.items() if value}
    return _context.set({**_context.get(), **known})


def unbind(token: Token[Mapping[str, str]]) -> None:
    _context.reset(token)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def current() -> Mapping[str, str]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Puts the bound fields on every record passing the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            setattr(record, name, value)
        return True
