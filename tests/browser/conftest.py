"""Browser tests: the real app on a free port, driven by Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium (the
``chromium`` package; ``.ci/run`` installs it), with ``--no-sandbox`` when running as
root. Without it the tests fail on CI and skip elsewhere.

Fixtures for tests: ``memory_console`` and ``postgres_console`` (the suite's session
database, emptied first), ``live_console`` (both modes, one test each), and
``console_factory`` for a console with other settings, a manual clock or the
background loops. Pages come from pytest-playwright's ``page`` fixture: a fresh
browser context (no cookies) per test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.browser.live_console import LiveConsole, console_settings, serve_console
from tests.integration.postgres.database import MigratedDatabase
from tests.support.ci import on_ci
from tests.support.fakes import ManualClock

CHROMIUM = "/usr/bin/chromium"
ConsoleFactory = Callable[..., LiveConsole]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    arguments = ["--no-sandbox"] if os.geteuid() == 0 else []
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": arguments}


@pytest.fixture
def console_factory(request: pytest.FixtureRequest) -> Iterator[ConsoleFactory]:
    """``console_factory(storage="memory", clock=None, background=False, **settings)``."""
    with ExitStack() as stack:

        def start(
            storage: str = "memory",
            clock: ManualClock | None = None,
            background: bool = False,
            **overrides: Any,
        ) -> LiveConsole:
            database: MigratedDatabase | None = None
            if storage == "postgres":
                database = request.getfixturevalue("db")
            settings = console_settings(storage, database, **overrides)
            return stack.enter_context(serve_console(settings, clock, background))

        yield start


@pytest.fixture
def memory_console(console_factory: ConsoleFactory) -> LiveConsole:
    return console_factory("memory")


@pytest.fixture
def postgres_console(console_factory: ConsoleFactory) -> LiveConsole:
    return console_factory("postgres")


@pytest.fixture(params=["memory", "postgres"])
def live_console(request: pytest.FixtureRequest, console_factory: ConsoleFactory) -> LiveConsole:
    return console_factory(request.param)
