"""Finding a run by id across organizations, over the in-memory store."""

from __future__ import annotations

from manyfutures.adapters.memory.generation import GENERATION_RUNS
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.generation.ports import RunCredentials


class InMemoryRunLocator:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def locate(self, run_id: str) -> RunCredentials | None:
        with self._store.lock:
            run = self._store.tables[GENERATION_RUNS.name].get(run_id)
            if run is None:
                return None
            return RunCredentials(run.organization_id, run.callback_token_hash)
