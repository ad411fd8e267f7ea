"""The runs a callback found, remembered in the API process: three of a run's four
callbacks need no cross-tenant read.

n8n calls back four times per episode (three progress reports and the result), and each
callback first locates its run across organizations (``generation_callback_run``, its
own pooled checkout and statement). What it returns never changes once the run exists:
a run keeps its organization and its callback token's hash for life, and runs are never
deleted. So a found run is remembered, least recently used first out, up to
``capacity`` runs per process (a run lives ten minutes at most; 10 000 is more than a
process sees in that time at the pipeline's target rate, in about 2 MB).

An unknown run is never remembered: it is asked for every time, so random run ids sent
by someone without a token cannot push the real runs out, and a callback is still
refused in the same way whether or not its run was seen before (the token is compared
on every call, core/generation/callbacks.py).
"""

from __future__ import annotations

from functools import lru_cache

from manyfutures.core.generation.ports import RunCredentials, RunLocator

DEFAULT_CAPACITY = 10_000


class _UnknownRunError(Exception):
    """Raised through the cache so that it keeps no entry for an unknown run."""


class RememberedRunLocator:
    def __init__(self, inner: RunLocator, capacity: int = DEFAULT_CAPACITY) -> None:
        self._inner = inner
        self._found = lru_cache(maxsize=capacity)(self._locate_found)

    def locate(self, run_id: str) -> RunCredentials | None:
        try:
            return self._found(run_id)
        except _UnknownRunError:
            return None

    def _locate_found(self, run_id: str) -> RunCredentials:
        credentials = self._inner.locate(run_id)
        if credentials is None:
            raise _UnknownRunError(run_id)
        return credentials
