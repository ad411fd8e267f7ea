"""What every use case needs: a way to open a tenant-scoped unit of work, time and ids.

Generic in the unit of work it opens, so each use case names only the stores it uses.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory

U = TypeVar("U", bound=UnitOfWork)


class UseCase(Generic[U]):
    def __init__(self, uow: UnitOfWorkFactory[U], clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
