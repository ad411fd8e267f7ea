"""Where the operations view is read from: inside one organization (its unit of work,
row-level security in force), or across organizations for operators (in PostgreSQL
only through named SECURITY DEFINER functions, listed in ADR 0007)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from manyfutures.core.operations.model import OperationsSnapshot
from manyfutures.core.shared.unit_of_work import UnitOfWork


class OperationsReader(Protocol):
    def snapshot(self, finished_since: datetime, limit: int) -> OperationsSnapshot:
        """Queue items per status (every live item; finished ones whose slot is at or
        after ``finished_since``), the episodes in GENERATING with their latest run
        (oldest run first), the FAILED episodes (latest failure first), at most
        ``limit`` of each list, and the outbox's pending and dead messages. Statuses and
        organizations with nothing are left out."""
        ...


class OperationsStore(UnitOfWork, Protocol):
    """An organization's own operations view (``uow.operations``), read only."""

    @property
    def operations(self) -> OperationsReader: ...


class OperatorGateway(OperationsReader, Protocol):
    """The same snapshot over every organization, for operators only; deleted
    organizations are left out."""
