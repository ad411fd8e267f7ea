"""PostgreSQL restarting or unreachable is a 503 with ``Retry-After``, not a 500: the
client (and n8n's retrying callbacks) should come back, and nothing is wrong with the
request. Against a real database URL on which no server listens."""

from __future__ import annotations

import socket
from dataclasses import replace

from manyfutures.entrypoints.http.app import create_app
from tests.unit.http.conftest import TEST_SETTINGS, Api, build_test_container


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port  # closed again on return: nothing listens there


def test_a_request_while_the_database_is_unreachable_is_a_503_problem() -> None:
    url = f"postgresql+psycopg://manyfutures_app@127.0.0.1:{_closed_port()}/manyfutures"
    settings = replace(TEST_SETTINGS, storage="postgres", allow_dev_auth=True, app_database_url=url)
    container = build_test_container(settings)
    try:
        api = Api(create_app(container).test_client())
        response = api.get("/v1/projects")
    finally:
        container.unwire()
        container.adapters.postgres_engine().dispose()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert response.json is not None
    assert response.json["type"] == "/problems/database-unavailable"
    assert response.headers["Retry-After"] == "5"
