"""Which projects keep their memories as JSON, across organizations, in memory."""

from __future__ import annotations

from collections.abc import Sequence

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.feedback.ports import JsonMemoryProject
from manyfutures.core.projects.model import MemoryStorage


class InMemoryMemoryStoreGateway:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def projects_on_json(self, after_id: str | None, limit: int) -> Sequence[JsonMemoryProject]:
        with self._store.lock:
            on_json = sorted(
                (
                    p
                    for p in self._store.tables["projects"].values()
                    if p.memory_storage is MemoryStorage.JSON
                    and not p.is_deleted
                    and (after_id is None or p.id > after_id)
                ),
                key=lambda p: p.id,
            )
        return [
            JsonMemoryProject(p.organization_id, p.id, len(p.memories)) for p in on_json[:limit]
        ]
