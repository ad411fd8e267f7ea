"""The console's cookie session is not opened for the API's requests, and its signing
serializer is built once per set of keys: the console works as before, and an API
request carrying the console's cookie is answered exactly as before (no cookie set,
no ``Vary: Cookie``)."""

from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession, SecureCookieSession

from tests.browser.live_console import console_settings
from tests.support.container import deterministic_container
from tests.unit.console.console_client import ConsoleClient


@pytest.fixture
def console() -> ConsoleClient:
    console = ConsoleClient.build(deterministic_container(console_settings("memory", None)))
    console.sign_in()
    return console


def test_no_session_is_opened_for_an_api_request_or_a_webhook(console: ConsoleClient) -> None:
    for path in ("/v1", "/v1/projects", "/v1/unknown", "/webhooks/n8n/episodes", "/webhooks/clerk"):
        with console.app.test_request_context(path):
            assert isinstance(session._get_current_object(), NullSession), path
    for path in ("/", "/projects", "/v1x", "/webhooksx", "/sign-in"):
        with console.app.test_request_context(path):
            current = session._get_current_object()
            assert type(current) is SecureCookieSession, path


def test_an_api_request_with_the_console_cookie_sets_nothing(console: ConsoleClient) -> None:
    response = console.client.get("/v1/projects")  # the console's cookie, no bearer token
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary
    assert console.client.get("/projects").status_code == 200  # still signed in


def test_the_signing_serializer_is_built_once_per_set_of_keys(console: ConsoleClient) -> None:
    interface = console.app.session_interface
    first = interface.get_signing_serializer(console.app)
    assert first is not None
    assert interface.get_signing_serializer(console.app) is first
    signed = first.dumps({"a": 1})
    console.app.config["SECRET_KEY_FALLBACKS"] = [console.app.secret_key]
    console.app.secret_key = "another secret, rotated"
    rotated = interface.get_signing_serializer(console.app)
    assert rotated is not None and rotated is not first
    assert rotated.loads(signed) == {"a": 1}  # the old key still reads, as a fallback
    # The client's cookie, signed with the old key, still reads through the fallback.
    assert console.client.get("/projects").status_code == 200
