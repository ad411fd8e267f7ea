"""Test doubles that are the real store or unit of work in every way but one.

Race and failure tests wrap a real repository or unit of work to pause, count or fail at
one method; everything else must behave exactly as the real one, on both adapters. The
delegation that makes that so is written once here, so each double shows only what it
changes.
"""

from __future__ import annotations

from typing import Any, Self


class Wrapped:
    """Every attribute the subclass does not define is the wrapped object's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class WrappedUnitOfWork(Wrapped):
    """A wrapped unit of work, entered and left as the real one (which rolls back on
    leaving), so a subclass overrides only a store or ``commit``."""

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)


class CommitFails(WrappedUnitOfWork):
    """A unit of work whose commit is refused, as by a database that went away."""

    def commit(self) -> None:
        raise ConnectionError("the database went away")
