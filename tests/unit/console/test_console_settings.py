"""The console's secret and session length: checked at start-up, not on first use."""

from __future__ import annotations

import pytest

from manyfutures.container import build_container
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings, SettingsError
from tests.support.container import UNSUBSCRIBE_SECRET


def test_serving_outside_memory_storage_needs_the_console_secret() -> None:
    settings = Settings(
        storage="postgres",
        allow_dev_auth=True,
        app_database_url="postgresql://app@127.0.0.1:1/none",
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
    )

    with pytest.raises(SettingsError, match="MANYFUTURES_CONSOLE_SECRET"):
        create_app(build_container(settings))


def test_memory_storage_makes_a_secret_per_process() -> None:
    assert len(Settings().console_secret) >= 32
    assert Settings().console_secret != Settings().console_secret


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MANYFUTURES_CONSOLE_SECRET", "short"), ("MANYFUTURES_CONSOLE_SESSION_SECONDS", "0")],
)
def test_a_bad_console_setting_stops_start_up(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_the_cookie_is_secure_when_the_public_url_is_https() -> None:
    secure = create_app(build_container(Settings(public_url="https://api.example.org")))
    plain = create_app(build_container(Settings()))

    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert secure.config["SESSION_COOKIE_HTTPONLY"] is True
    assert secure.config["SESSION_COOKIE_SAMESITE"] == "Lax"
