"""The generic pieces every in-memory repository is built from.

A ``TableView`` is one table as one unit of work sees it: committed rows plus that
unit of work's staged writes, filtered to its organization like row-level security.
A ``MemoryTable`` says how a table is scoped and which of Postgres's rules it must
re-enact at commit (a version check, a unique index, a trigger).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.shared.errors import DuplicateError, NotFoundError, PermissionDeniedError

DELETED: Any = object()  # staged marker: the row goes away on commit


class Transaction(Protocol):
    """What a repository sees of its unit of work."""

    store: InMemoryStore
    organization_id: str
    staged: dict[str, dict[str, Any]]
    # Ids this unit of work inserted, per table: still new at commit, or refused.
    inserted: dict[str, set[str]]
    loaded_versions: dict[str, int]

    def lock_row(self, table: str, row_id: str) -> None:
        """Hold the row until this unit of work ends; wait while another holds it."""
        ...

    def try_lock_row(self, table: str, row_id: str) -> bool:
        """Hold the row as ``lock_row`` does, or return False at once if another holds it."""
        ...


@dataclass(frozen=True)
class MemoryTable:
    name: str
    tenant_column: str | None = "organization_id"
    # Under the store's lock, before anything is applied: raise to refuse the commit.
    check: Callable[[Transaction], None] | None = None
    # Stores one committed row in place of the plain write (rows in id order).
    store_row: Callable[[InMemoryStore, Any], None] | None = None


class Row(Protocol):
    id: str


RowT = TypeVar("RowT", bound=Row)


class TableView(Generic[RowT]):
    def __init__(self, uow: Transaction, table: MemoryTable) -> None:
        self._uow = uow
        self._name = table.name
        self._tenant_column = table.tenant_column

    def _visible(self, row: Any) -> bool:
        if self._tenant_column is None:
            return True
        return bool(getattr(row, self._tenant_column) == self._uow.organization_id)

    def _staged(self) -> dict[str, Any]:
        return self._uow.staged.setdefault(self._name, {})

    def get(self, row_id: str) -> RowT | None:
        staged = self._staged()
        row = staged[row_id] if row_id in staged else self._uow.store.tables[self._name].get(row_id)
        if row is None or row is DELETED or not self._visible(row):
            return None
        return copy.deepcopy(row)  # type: ignore[no-any-return]

    def rows(self) -> list[RowT]:
        merged = {**self._uow.store.tables[self._name], **self._staged()}
        return [
            copy.deepcopy(row)
            for row in merged.values()
            if row is not DELETED and self._visible(row)
        ]

    def put(self, row: RowT) -> None:
        if not self._visible(row):
            raise PermissionDeniedError(
                f"{self._name} row {row.id} belongs to another organization"
            )
        self._staged()[row.id] = copy.deepcopy(row)

    def insert(self, row: RowT) -> None:
        if row.id in self._staged() or row.id in self._uow.store.tables[self._name]:
            raise DuplicateError(f"{self._name} {row.id} already exists")
        self.put(row)
        self._uow.inserted.setdefault(self._name, set()).add(row.id)

    def update(self, row: RowT) -> None:
        if self.get(row.id) is None:
            raise NotFoundError(self._name, row.id)
        self.put(row)

    def delete(self, row: RowT) -> None:
        if self.get(row.id) is not None:
            self._staged()[row.id] = DELETED


def newest_first(rows: Iterable[RowT], limit: int, after_id: str | None) -> list[RowT]:
    ordered = sorted(rows, key=lambda row: row.id, reverse=True)
    if after_id is not None:
        ordered = [row for row in ordered if row.id < after_id]
    return ordered[:limit]


class AppendOnly(Generic[RowT]):
    """A tenant table that is only ever added to (events, audit rows; notifications, which
    are also marked read)."""

    table: ClassVar[MemoryTable]

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[RowT] = TableView(uow, self.table)

    def add(self, row: RowT) -> None:
        self._rows.insert(row)

    def _oldest_first(self, keep: Callable[[RowT], bool]) -> list[RowT]:
        return sorted((r for r in self._rows.rows() if keep(r)), key=lambda r: r.id)
