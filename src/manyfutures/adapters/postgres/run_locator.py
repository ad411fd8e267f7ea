"""Finding a callback's run in whichever organization it is: ``generation_callback_run``.

The app role cannot read another organization's runs; it can call this one SECURITY
DEFINER function (migration ``n8n_callbacks``, listed in ADR 0007), which returns the run's
organization and token hash and nothing else. The transaction it runs in sets no
organization, so apart from that function's result it sees nothing. Everything the
callback then does happens in a unit of work scoped to the run's own organization.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from manyfutures.adapters.postgres.engine import live_connection
from manyfutures.core.generation.ports import RunCredentials

# First on the connection: proves it alive and says, explicitly, "no organization".
_NO_TENANT = text("SELECT set_config('app.current_org_id', '', true)")
_LOCATE = text("SELECT organization_id, callback_token_hash FROM generation_callback_run(:run_id)")


class PostgresRunLocator:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def locate(self, run_id: str) -> RunCredentials | None:
        with live_connection(self._engine, _NO_TENANT) as connection:
            row = connection.execute(_LOCATE, {"run_id": run_id}).first()
            connection.rollback()
        if row is None:
            return None
        return RunCredentials(row.organization_id, row.callback_token_hash)
