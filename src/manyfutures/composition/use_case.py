"""The provider shape shared by every ``UseCase`` (core/shared/use_case.py)."""

from __future__ import annotations

from typing import Any, TypeVar

from dependency_injector import providers

T = TypeVar("T")


def use_case(cls: type[T], adapters: Any, *extra: Any) -> providers.Singleton[T]:
    """One instance per container, over the storage, clock and ids every ``UseCase`` takes
    first, then ``extra``.

    A use case holds only its ports, all singletons themselves, so one instance serves
    every request and resolving it is a lookup. A ``Factory`` would resolve each
    ``Dependency`` slot of its capability container again on every request, about a
    microsecond more than the flat container cost (figures in ADR 0006). An override
    made after a use case was first resolved does not reach it, so tests override
    right after building the container.
    """
    return providers.Singleton(cls, adapters.uow_factory, adapters.clock, adapters.ids, *extra)
