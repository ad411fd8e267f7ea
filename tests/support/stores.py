"""The store attributes the core asks every storage adapter for."""

from __future__ import annotations

from typing import Any, get_type_hints

from manyfutures.core.storage import StorageUnitOfWork


def store_protocols() -> dict[str, type[Any]]:
    """Every repository property declared by a store protocol that StorageUnitOfWork joins,
    with the repository protocol it returns."""
    return {
        name: get_type_hints(member.fget)["return"]
        for base in StorageUnitOfWork.__mro__
        for name, member in vars(base).items()
        if isinstance(member, property)
    }


def store_attributes() -> frozenset[str]:
    """Every repository property declared by a store protocol that StorageUnitOfWork joins."""
    return frozenset(store_protocols())
