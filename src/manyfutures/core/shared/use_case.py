"""What every use case needs: a way to open a tenant-scoped unit of work, time and ids."""

from __future__ import annotations

from manyfutures.core.persistence import UnitOfWorkFactory
from manyfutures.core.shared.ports import Clock, IdGenerator


class UseCase:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
