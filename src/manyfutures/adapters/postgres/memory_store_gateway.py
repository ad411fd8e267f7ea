"""Which projects keep their memories as JSON, across organizations: ``memory_json_projects``.

The app role cannot read another organization's projects; it can call this one SECURITY
DEFINER function (migration ``memory_ids``, listed in ADR 0007), which returns each
live JSON-storage project's organization, id and memory count, nothing else. The daily
check and ``manyfutures memories migrate`` then work on each project in a unit of work
scoped to its own organization.

One statement in autocommit, as the run locator's (run_locator.py): no organization is
set, so apart from the function's result the connection sees nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import live_execute
from manyfutures.core.feedback.ports import JsonMemoryProject

_ON_JSON = text(
    "SELECT organization_id, resource_id, memory_count FROM memory_json_projects(:after, :limit)"
)


class PostgresMemoryStoreGateway:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def projects_on_json(self, after_id: str | None, limit: int) -> Sequence[JsonMemoryProject]:
        connection, result = live_execute(
            self._engine, _ON_JSON, {"after": after_id, "limit": limit}
        )
        with connection:
            rows = result.all()
        return [JsonMemoryProject(r.organization_id, r.resource_id, r.memory_count) for r in rows]
