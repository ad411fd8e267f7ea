"""The floor for bench/api_latency.py: the same SQL behind the same gunicorn, and nothing else.

Same routes, same statements (the repositories' own, from queries.py), same app
role and tenant ``set_config``, same pool, same gunicorn workers and threads; but no
authentication, rate limit, unit of work, domain objects or schemas, and the rows
go out as plain JSON. Whatever latency this has, the service cannot go below it on
the machine the bench runs on, so the bench reports the two side by side.

Run by the bench as ``gunicorn 'api_floor_app:create_app()'`` with the app role's
URL in ``MANYFUTURES_APP_DATABASE_URL``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from manyfutures.adapters.postgres import queries as q
from manyfutures.adapters.postgres.engine import create_app_engine
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT

ORG = "org_bench"
PAGE = 20


def _rows(engine: Engine, *statements: tuple[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the statements in one tenant-scoped transaction; the last one's rows."""
    with engine.connect() as connection:
        connection.execute(SET_TENANT, {"org": ORG})
        rows: list[Any] = []
        for statement, parameters in statements:
            rows = connection.execute(statement, {"org": ORG, **parameters}).all()
        connection.rollback()
    return [
        {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in row}
        for row in (r._mapping.items() for r in rows)
    ]


def create_app() -> Flask:
    app = Flask("floor")
    engine = create_app_engine(os.environ["MANYFUTURES_APP_DATABASE_URL"])

    @app.get("/v1/projects")
    def projects() -> dict[str, Any]:
        return {"items": _rows(engine, (q.PROJECT_PAGE, {"limit": PAGE}))}

    @app.get("/v1/projects/<project_id>/episodes")
    def episodes(project_id: str) -> dict[str, Any]:
        items = _rows(
            engine,
            (q.PROJECT, {"id": project_id}),
            (q.EPISODE_PAGE, {"project_id": project_id, "limit": PAGE}),
        )
        return {"items": items}

    return app
