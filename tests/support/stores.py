"""The store attributes the core asks every storage adapter for."""

from __future__ import annotations

from manyfutures.core.storage import StorageUnitOfWork


def store_attributes() -> frozenset[str]:
    """Every repository property declared by a store protocol that StorageUnitOfWork joins."""
    return frozenset(
        name
        for base in StorageUnitOfWork.__mro__
        for name, member in vars(base).items()
        if isinstance(member, property)
    )
