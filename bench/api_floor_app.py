"""The floor for bench/api_latency.py: the same SQL behind the same gunicorn, and nothing else.

Same routes, same statements (the repositories' own, from their capability modules), same app
role and tenant ``set_config``, the engine built from the same settings (pool,
prepared statements, row-level security guard) and gunicorn run with the same
options as ``manyfutures serve`` (workers, threads, keep-alive, access log); but
no authentication, rate limit, unit of work, domain objects or schemas, and the
rows go out as plain JSON. Whatever latency this has, the service cannot go below
it on the machine the bench runs on, so the bench reports the two side by side.

Run by the bench as ``python bench/api_floor_app.py --port P --workers W --threads T``
with the service's ``MANYFUTURES_*`` environment.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, Executable

from manyfutures.adapters.postgres import episodes, projects
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT
from manyfutures.adapters.postgres.wiring import service_engine
from manyfutures.entrypoints.http.server import ApiServer, gunicorn_options
from manyfutures.settings import Settings

ORG = "org_bench"
PAGE = 20
Statements = tuple[tuple[Executable, dict[str, Any]], ...]


def projects_page() -> Statements:
    """What the service sends for ``GET /v1/projects``: one page of live projects."""
    return ((projects.PROJECT_PAGE, {"limit": PAGE}),)


def episodes_page(project_id: str) -> Statements:
    """What it sends for a project's episodes: the project must be live, then the page."""
    return (
        (projects.PROJECT, {"id": project_id}),
        (episodes.EPISODE_PAGE, {"project_id": project_id, "limit": PAGE}),
    )


def run_scoped(connection: Connection, statements: Statements) -> Sequence[Any]:
    """The statements in one tenant-scoped transaction, as a unit of work sends them."""
    with connection.begin():
        connection.execute(SET_TENANT, {"org": ORG})
        rows: Sequence[Any] = ()
        for statement, parameters in statements:
            rows = connection.execute(statement, {"org": ORG, **parameters}).all()
    return rows


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _items(engine: Engine, statements: Statements) -> dict[str, Any]:
    with engine.connect() as connection:
        rows = run_scoped(connection, statements)
    return {
        "items": [{key: _json_value(value) for key, value in row._mapping.items()} for row in rows]
    }


def create_app(settings: Settings) -> Flask:
    app = Flask("floor")
    engine = service_engine(
        settings.database_url,
        settings.app_database_url,
        settings.db_app_role,
        settings.db_pool_size,
        settings.db_max_overflow,
        settings.db_pool_timeout,
        settings.db_prepare_threshold,
    )

    @app.get("/v1/projects")
    def projects() -> dict[str, Any]:
        return _items(engine, projects_page())

    @app.get("/v1/projects/<project_id>/episodes")
    def episodes(project_id: str) -> dict[str, Any]:
        return _items(engine, episodes_page(project_id))

    return app


class FloorServer(ApiServer):
    """``manyfutures serve``'s gunicorn, options and all, serving the floor app instead."""

    def load(self) -> Any:
        return create_app(self._settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    settings = replace(
        Settings.from_env(os.environ),
        host="127.0.0.1",
        port=args.port,
        web_workers=args.workers,
        web_threads=args.threads,
    )
    settings.validate()
    FloorServer(settings, gunicorn_options(settings)).run()


if __name__ == "__main__":
    main()
