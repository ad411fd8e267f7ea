"""The API's settings rules, the dev-auth warning, and the servers' options."""

from __future__ import annotations

import pytest

from manyfutures.entrypoints import cli
from manyfutures.entrypoints.http import server
from manyfutures.entrypoints.http.app import create_app
from manyfutures.entrypoints.http.granian_server import (
    granian_server,
    without_process_environment,
)
from manyfutures.entrypoints.http.request_limits import MAX_HEADER_BYTES
from manyfutures.entrypoints.http.server import gunicorn_options
from manyfutures.settings import Settings, SettingsError
from tests.unit.http.conftest import build_test_container


def test_dev_auth_is_refused_outside_memory_storage_unless_forced() -> None:
    postgres = {
        "MANYFUTURES_STORAGE": "postgres",
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "test-unsubscribe-secret-0123456789abcdef",
        "MANYFUTURES_DATABASE_URL": "postgresql://owner@localhost/manyfutures",
    }
    with pytest.raises(SettingsError, match="ALLOW_DEV_AUTH"):
        Settings.from_env({**postgres, "MANYFUTURES_AUTH": "dev"})
    forced = Settings.from_env({**postgres, "MANYFUTURES_ALLOW_DEV_AUTH": "true"})
    assert (forced.storage, forced.auth) == ("postgres", "dev")
    assert Settings.from_env({"MANYFUTURES_AUTH": "dev"}).storage == "memory"


def test_clerk_auth_needs_an_issuer_and_a_key() -> None:
    with pytest.raises(SettingsError, match="CLERK_ISSUER"):
        Settings.from_env({"MANYFUTURES_AUTH": "clerk", "CLERK_JWKS_URL": "https://x/jwks"})
    with pytest.raises(SettingsError, match="CLERK_JWT_KEY"):
        Settings.from_env({"MANYFUTURES_AUTH": "clerk", "CLERK_ISSUER": "https://x"})
    settings = Settings.from_env(
        {
            "MANYFUTURES_AUTH": "clerk",
            "CLERK_ISSUER": "https://x",
            "CLERK_JWKS_URL": "https://x/jwks",
            "CLERK_AUTHORIZED_PARTIES": "https://a,https://b",
            "CLERK_WEBHOOK_SIGNING_SECRET": "whsec_abc",
        }
    )
    assert (settings.clerk_jwks_url, settings.clerk_authorized_parties) == (
        "https://x/jwks",
        "https://a,https://b",
    )
    assert settings.clerk_webhook_signing_secret == "whsec_abc"


def test_http_settings_have_defaults_and_are_validated() -> None:
    defaults = Settings.from_env({})
    assert (defaults.max_body_bytes, defaults.rate_limit, defaults.redis_url) == (
        1048576,
        "600 per minute",
        "",
    )
    assert Settings.from_env({"MANYFUTURES_MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048
    with pytest.raises(SettingsError, match="RATE_LIMIT"):
        Settings.from_env({"MANYFUTURES_RATE_LIMIT": "often"})
    with pytest.raises(SettingsError, match="MAX_BODY_BYTES"):
        Settings.from_env({"MANYFUTURES_MAX_BODY_BYTES": "0"})


def test_dev_auth_logs_a_loud_warning(caplog: pytest.LogCaptureFixture) -> None:
    create_app(build_test_container())
    assert "DEV AUTHENTICATION IS ON" in caplog.text


def test_a_bad_webhook_secret_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="CLERK_WEBHOOK_SIGNING_SECRET"):
        create_app(
            build_test_container(Settings(clerk_webhook_signing_secret="whsec_!!notbase64!!"))
        )


def test_gunicorn_runs_one_worker_for_memory_storage() -> None:
    options = gunicorn_options(Settings(web_workers=4, web_threads=8, port=9000))
    assert (options["workers"], options["threads"], options["bind"]) == (1, 8, "127.0.0.1:9000")
    assert options["preload_app"] is False
    shared = gunicorn_options(Settings(storage="postgres", web_workers=4, host="0.0.0.0"))
    assert (shared["workers"], shared["bind"]) == (4, "0.0.0.0:8000")


def test_gunicorn_lets_through_header_lines_far_past_the_apps_own_limit() -> None:
    """So the app's 431 problem, not gunicorn's HTML, answers oversized headers."""
    options = gunicorn_options(Settings())
    assert options["limit_request_field_size"] == 64 * 1024
    assert options["limit_request_field_size"] >= 4 * MAX_HEADER_BYTES


def test_gunicorn_opens_no_control_socket_shared_with_other_servers_on_the_host() -> None:
    """Built as ``serve`` builds it, so the option is one the installed gunicorn knows."""
    api_server = server.ApiServer(Settings(), gunicorn_options(Settings()))
    assert api_server.cfg.control_socket_disable is True


def test_granian_gets_gunicorns_options_story() -> None:
    """Workers, threads, keep-alive, access log, graceful stop, respawn; one worker in memory."""
    shared = granian_server(
        Settings(storage="postgres", web_workers=3, web_threads=4, host="0.0.0.0", port=9000)
    )
    assert (shared.workers, shared.blocking_threads) == (3, 4)
    assert (shared.bind_addr, shared.bind_port) == ("0.0.0.0", 9000)
    assert shared.http1_settings is not None
    assert shared.http1_settings.keep_alive is True
    assert shared.http1_settings.header_read_timeout == 5_000
    assert shared.log_access is True
    assert (shared.workers_kill_timeout, shared.respawn_failed_workers) == (20, True)
    assert granian_server(Settings(web_workers=4)).workers == 1


def test_granian_lets_through_headers_far_past_the_apps_own_limit() -> None:
    """So the app's 431 problem, not granian's refusal, answers oversized headers."""
    http1 = granian_server(Settings()).http1_settings
    assert http1 is not None
    assert http1.max_buffer_size >= 4 * MAX_HEADER_BYTES


def test_the_app_under_granian_sees_the_request_not_the_process_environment() -> None:
    """granian copies os.environ into every request's environ: it must not read as headers."""
    seen: list[dict[str, object]] = []

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        seen.append(dict(environ))
        return []

    inherited = {"HTTP_PROXY": "http://proxy:3128", "CLERK_JWT_KEY": "pem", "HTTP_X_SAME": "v"}
    request = {"REQUEST_METHOD": "GET", "HTTP_HOST": "api", "HTTP_X_SAME": "sent"}
    without_process_environment(app, inherited)({**inherited, **request}, print)
    assert seen == [request]


def test_the_server_is_a_validated_setting() -> None:
    assert Settings().web_server == "granian"
    assert Settings.from_env({"MANYFUTURES_WEB_SERVER": "gunicorn"}).web_server == "gunicorn"
    with pytest.raises(SettingsError, match="MANYFUTURES_WEB_SERVER"):
        Settings.from_env({"MANYFUTURES_WEB_SERVER": "waitress"})


def test_numbers_and_flags_are_parsed_not_kept_as_strings() -> None:
    """A slots dataclass hides class-level defaults, so parsing must use the field's default."""
    settings = Settings.from_env(
        {
            "MANYFUTURES_PORT": "9000",
            "MANYFUTURES_ALLOW_DEV_AUTH": "false",
            "MANYFUTURES_WEB_WORKERS": "3",
        }
    )
    assert settings.port == 9000
    assert settings.allow_dev_auth is False  # the string "false" would have been truthy
    assert settings.web_workers == 3
    with pytest.raises(SettingsError, match="MANYFUTURES_PORT"):
        Settings.from_env({"MANYFUTURES_PORT": "eighty"})


def test_the_log_level_is_a_validated_setting() -> None:
    assert Settings.from_env({"MANYFUTURES_LOG_LEVEL": "debug"}).log_level == "debug"
    with pytest.raises(SettingsError, match="MANYFUTURES_LOG_LEVEL='LOUD'"):
        Settings.from_env({"MANYFUTURES_LOG_LEVEL": "LOUD"})


def test_serve_options_override_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(server, "serve", served.append)
    monkeypatch.setenv("MANYFUTURES_WEB_WORKERS", "5")
    monkeypatch.setenv("MANYFUTURES_PORT", "8100")
    argv = ["serve", "--host", "0.0.0.0", "--workers", "3", "--threads", "4"]
    assert cli.main(argv) == 0
    assert [(s.host, s.port, s.web_workers, s.web_threads) for s in served] == [
        ("0.0.0.0", 8100, 3, 4)
    ]


@pytest.mark.parametrize(
    "option", [["--workers", "0"], ["--workers", "-1"], ["--threads", "0"], ["--port", "0"]]
)
def test_serve_options_are_validated_like_the_environment(
    option: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(server, "serve", served.append)
    assert cli.main(["serve", *option]) == 2
    assert served == []
    assert "configuration error" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MANYFUTURES_WEB_WORKERS", "0"),
        ("MANYFUTURES_WEB_THREADS", "-2"),
        ("MANYFUTURES_PORT", "0"),
        ("MANYFUTURES_PORT", "65536"),
    ],
)
def test_workers_threads_and_port_must_be_positive(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        *[("1", True), ("TRUE", True), ("yes", True), (" On ", True)],
        *[("0", False), ("False", False), ("no", False), ("OFF", False)],
    ],
)
def test_flags_accept_the_usual_spellings(raw: str, parsed: bool) -> None:
    assert Settings.from_env({"MANYFUTURES_ALLOW_DEV_AUTH": raw}).allow_dev_auth is parsed


def test_a_misspelt_flag_fails_at_start_up() -> None:
    with pytest.raises(SettingsError, match="MANYFUTURES_ALLOW_DEV_AUTH='ture'"):
        Settings.from_env({"MANYFUTURES_ALLOW_DEV_AUTH": "ture"})
