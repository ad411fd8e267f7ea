"""The registry is the Postgres adapter's one list of capabilities: nothing may be missing.

Alembic and the drift test see only the tables of modules the registry imports, so a
capability module left out of ``CAPABILITIES`` would drop its tables from the schema
comparison without any error.
"""

from __future__ import annotations

import importlib
import pkgutil

from manyfutures.adapters import postgres
from manyfutures.adapters.postgres.base import Base
from manyfutures.adapters.postgres.registry import CAPABILITIES


def _import_every_module() -> None:
    """The whole package, migrations aside (they run Alembic when imported)."""
    for module in pkgutil.walk_packages(postgres.__path__, f"{postgres.__name__}."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


def test_every_row_class_is_in_a_listed_capability_module() -> None:
    _import_every_module()
    homes = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert homes == {module.__name__ for module in CAPABILITIES}
