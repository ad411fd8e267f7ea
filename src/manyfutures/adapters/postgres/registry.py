"""Every capability's storage, in one list: the whole schema.

Each capability keeps its tables in its own module; they reach ``Base.metadata`` only
when that module is imported. Importing this module imports every one of them, so
``METADATA`` is the whole schema: Alembic (migrations/env.py), ``migrate.schema_drift``
and the schema tests read it from here, never from ``base.Base``, which holds only
the tables of whatever happens to be imported. A capability module missing from
``CAPABILITIES`` fails a unit test (tests/unit/adapters/test_postgres_registry.py).
"""

from __future__ import annotations

from types import ModuleType

from manyfutures.adapters.postgres import (
    activity,
    costs,
    episodes,
    feedback,
    generation,
    identity,
    projects,
    scheduling,
)
from manyfutures.adapters.postgres.base import GLOBAL_TABLES, Base

CAPABILITIES: tuple[ModuleType, ...] = (
    identity,
    projects,
    episodes,
    scheduling,
    generation,
    costs,
    feedback,
    activity,
)

METADATA = Base.metadata
"""Every table, since every capability module is imported above."""

TENANT_TABLES = tuple(
    table.name for table in METADATA.sorted_tables if table.name not in GLOBAL_TABLES
)
"""Every table row-level security scopes, parents before children."""
