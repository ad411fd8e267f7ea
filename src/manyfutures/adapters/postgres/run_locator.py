"""Finding a callback's run in whichever organization it is: ``generation_callback_run``.

The app role cannot read another organization's runs; it can call this one SECURITY
DEFINER function (migration ``n8n_callbacks``, listed in ADR 0007), which returns the run's
organization and token hash and nothing else. Everything the callback then does happens
in a unit of work scoped to the run's own organization.

The call is one statement in autocommit: its implicit transaction sets no organization
(a tenant setting is always transaction-local, so none survives on a pooled connection),
so apart from that function's result it sees nothing. Autocommit also spares every
callback a BEGIN and a ROLLBACK, and the ROLLBACK cost more than its round trip: psycopg
answers one by forgetting every statement it had prepared on that connection (it sends
``DEALLOCATE ALL``), so the units of work that reuse the connection prepared theirs again
and again.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import live_execute
from manyfutures.core.generation.ports import RunCredentials

_LOCATE = text("SELECT organization_id, callback_token_hash FROM generation_callback_run(:run_id)")


class PostgresRunLocator:
    def __init__(self, engine: Engine) -> None:
        # Same pool; each checkout switches psycopg's autocommit on, and the pool switches
        # it off again at check-in (attributes only, no round trip).
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def locate(self, run_id: str) -> RunCredentials | None:
        # The read changes nothing, so it can double as the liveness check.
        connection, result = live_execute(self._engine, _LOCATE, {"run_id": run_id})
        with connection:
            row = result.first()
        if row is None:
            return None
        return RunCredentials(row.organization_id, row.callback_token_hash)
