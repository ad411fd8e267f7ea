"""The unit-of-work port every capability builds on.

A unit of work is opened *for one organization*: every read and write inside it
sees only that organization's rows (the Postgres adapter enforces it with
row-level security, the in-memory one by filtering), and nothing is kept unless
``commit()`` is called: leaving the ``with`` block rolls back.

Each capability declares the repositories it owns as a *store* protocol in its own
``ports.py`` (``ProjectStore``: ``projects``), and each use case asks for exactly the
stores it touches, so a capability never depends on storage it does not use.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, TypeVar


class UnitOfWork(Protocol):
    organization_id: str

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


U_co = TypeVar("U_co", bound=UnitOfWork, covariant=True)


class UnitOfWorkFactory(Protocol[U_co]):
    def __call__(self, organization_id: str) -> U_co:
        """A new unit of work scoped to one organization."""
        ...
