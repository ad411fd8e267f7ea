"""A unit of work whose store calls are recorded in order, as ``store.method``.

For tests that hold a use case to how it uses storage (how often it reads, in which
order it takes rows) without a database: wrap the real factory in the harness
(``Harness(lambda real: lambda org: RecordingUnitOfWork(real(org), calls))``) and read
``calls`` afterwards, or count it with ``collections.Counter``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.wrapped import WrappedUnitOfWork


class _RecordedStore:
    def __init__(self, inner: Any, name: str, calls: list[str]) -> None:
        self._inner, self._name, self._calls = inner, name, calls

    def __getattr__(self, method_name: str) -> Any:
        method: Callable[..., Any] = getattr(self._inner, method_name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(f"{self._name}.{method_name}")
            return method(*args, **kwargs)

        return recorded


class RecordingUnitOfWork(WrappedUnitOfWork):
    """The inner unit of work, each store wrapped; its own methods (commit…) pass through."""

    def __init__(self, inner: Any, calls: list[str]) -> None:
        super().__init__(inner)
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if callable(value) or name == "organization_id":
            return value
        return _RecordedStore(value, name, self._calls)
