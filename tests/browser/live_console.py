"""The real app served on a free 127.0.0.1 port, for a real browser to use.

Built like production (``build_container`` → ``create_app``) in memory or PostgreSQL
mode, with dev authentication so the browser signs in through the dev sign-in page.
Pass a ``ManualClock`` to move time (a session's expiry) without sleeping, and
``background=True`` to run the scheduler, outbox and workers as ``manyfutures run``
does (episodes then go through their stages on their own).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dependency_injector import providers
from playwright.sync_api import Page, expect
from werkzeug.serving import WSGIRequestHandler, make_server

from manyfutures.container import Container, build_container
from manyfutures.entrypoints.all_in_one import background_loops
from manyfutures.entrypoints.console.sign_in import DEV_IDENTITIES
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import CONSOLE_SECRET, UNSUBSCRIBE_SECRET
from tests.support.fakes import ManualClock

# The dev sign-in page's identities, by what tests call them.
ADMIN, MEMBER, OTHER_ADMIN = range(3)


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request: a failing test's output stays readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@dataclass
class LiveConsole:
    url: str
    container: Container
    clock: ManualClock | None = None
    settings: Settings = field(default_factory=Settings)

    def at(self, path: str) -> str:
        return self.url + path

    def sign_in(self, page: Page, identity: int = ADMIN, then: str = "/projects") -> None:
        """Sign in through the dev sign-in page, as a reader would."""
        page.goto(self.at(f"/sign-in?next={then}"))
        page.get_by_label(DEV_IDENTITIES[identity].label, exact=False).check()
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def console_settings(
    storage: str, database: MigratedDatabase | None = None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "storage": storage,
        "auth": "dev",
        "console_secret": CONSOLE_SECRET,
        "unsubscribe_secret": UNSUBSCRIBE_SECRET,
        "rate_limit": "1000000 per minute",
    }
    if storage == "postgres":
        assert database is not None
        values["allow_dev_auth"] = True
        values["app_database_url"] = database.app_url.render_as_string(hide_password=False)
    values.update(overrides)
    return Settings(**values)


@contextmanager
def serve_console(
    settings: Settings, clock: ManualClock | None = None, background: bool = False
) -> Iterator[LiveConsole]:
    container = build_container(settings)
    if clock is not None:
        container.adapters.clock.override(providers.Object(clock))
    app = create_app(container)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-console", daemon=True)
    thread.start()
    loops = background_loops(container) if background else ()
    for loop in loops:
        loop.start()
    try:
        yield LiveConsole(f"http://127.0.0.1:{server.server_port}", container, clock, settings)
    finally:
        for loop in loops:
            loop.stop()
        server.shutdown()
        thread.join(timeout=10)
        if background:
            container.scheduling.dispatcher().shutdown()
        if settings.storage == "postgres":
            container.adapters.postgres_engine().dispose()
