"""The in-memory unit of work, composed from the repository registry.

Reads see committed rows plus this unit of work's own staged writes; nothing
reaches the shared store until ``commit()``. Every tenant table is filtered by
the unit of work's organization, like row-level security in Postgres.
Repositories are built on first use, so a unit of work costs only what it touches.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self, cast

from manyfutures.adapters.memory.registry import REPOSITORIES, TABLES, VIEWS
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.tables import DELETED
from manyfutures.core.shared.errors import DuplicateError
from manyfutures.core.storage import StorageUnitOfWork


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore, organization_id: str) -> None:
        self.store = store
        self.organization_id = organization_id
        self.staged: dict[str, dict[str, Any]] = {}
        self.inserted: dict[str, set[str]] = {}
        self.loaded_versions: dict[str, int] = {}
        self._held: dict[tuple[str, str], threading.Lock] = {}

    def __getattr__(self, name: str) -> Any:
        """Build a registered repository on first access and keep it for this unit of work."""
        repository_class = REPOSITORIES.get(name) or VIEWS.get(name)
        if repository_class is None:
            raise AttributeError(f"{type(self).__name__} has no repository {name!r}")
        repository = repository_class(self)
        setattr(self, name, repository)
        return repository

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        # An UPDATE waits for the row's lock in Postgres (get_for_update holds it: last
        # write wins, the plan's count); so does committing one here. Organizations first,
        # the order the use cases take them in.
        for locked in ("organizations", "projects"):
            for row_id in sorted(self.staged.get(locked, {})):
                self.lock_row(locked, row_id)
        with self.store.lock:
            self._check_inserts()
            for table in TABLES:
                if table.check is not None:
                    table.check(self)
            for table in TABLES:
                self._apply(table.name, table.store_row)
        self.rollback()

    def _apply(self, name: str, store_row: Any) -> None:
        rows = self.staged.get(name)
        if not rows:
            return
        committed = self.store.tables[name]
        if store_row is not None:
            for row in sorted(rows.values(), key=lambda row: row.id):
                store_row(self.store, row)
            return
        for row_id, row in rows.items():
            if row is DELETED:
                committed.pop(row_id, None)
            else:
                committed[row_id] = row

    def _check_inserts(self) -> None:
        """A row inserted here may have been committed by another unit of work since:
        refused, as Postgres's primary keys refuse the second of two racing inserts."""
        for name, row_ids in self.inserted.items():
            taken = row_ids & self.store.tables[name].keys()
            if taken:
                raise DuplicateError(f"{name} {min(taken)} already exists")

    def rollback(self) -> None:
        self.staged = {}
        self.inserted = {}
        self.loaded_versions = {}
        held, self._held = self._held, {}
        for lock in held.values():
            lock.release()

    def lock_row(self, table: str, row_id: str) -> None:
        """Like a row lock in Postgres: taken once per unit of work, released when it ends
        (``commit()`` and leaving the block both end in ``rollback()``)."""
        self._take(table, row_id, wait=True)

    def try_lock_row(self, table: str, row_id: str) -> bool:
        """``FOR UPDATE SKIP LOCKED`` for one row: False, and nothing held, if another has it."""
        return self._take(table, row_id, wait=False)

    def _take(self, table: str, row_id: str, wait: bool) -> bool:
        key = (table, row_id)
        if key in self._held:
            return True
        with self.store.lock:
            lock = self.store.row_locks.setdefault(key, threading.Lock())
        if not lock.acquire(blocking=wait):
            return False
        self._held[key] = lock
        return True


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __call__(self, organization_id: str) -> StorageUnitOfWork:
        # The registry provides every store; tests/unit/adapters/test_memory_registry.py checks it.
        return cast(StorageUnitOfWork, InMemoryUnitOfWork(self._store, organization_id))
