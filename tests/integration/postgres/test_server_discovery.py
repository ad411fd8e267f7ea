"""Where the Postgres tests get a server: never a silent skip."""

from __future__ import annotations

import pytest

from tests.integration.postgres import database


def test_on_ci_an_unreachable_server_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "_answers", lambda url: False)
    monkeypatch.setenv("CI", "True")
    with pytest.raises(database.DatabaseUnavailableError, match="not a skip"):
        database._server_url()


def test_a_reachable_server_is_used_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "_answers", lambda url: True)
    monkeypatch.setenv("MANYFUTURES_TEST_DATABASE_URL", "postgresql://someone@db.invalid:5433/x")
    url, throwaway = database._server_url()
    assert (url.host, url.port, throwaway) == ("db.invalid", 5433, None)
