"""Every console page, as `make screenshots` lists them, opens for the demo admin (who is
also an operator here) in both storage modes, with no script error on the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Error, Page

from manyfutures.entrypoints.demo import DEMO_USER
from tests.browser.conftest import ConsoleFactory
from tests.browser.live_console import ADMIN
from tests.browser.screenshots import PAGES, STAGE_SECONDS, demo_ids
from tests.support.fakes import ManualClock


@pytest.mark.parametrize("storage", ["memory", "postgres"])
def test_every_page_opens_in_both_storage_modes(
    page: Page, console_factory: ConsoleFactory, storage: str
) -> None:
    console = console_factory(
        storage,
        clock=ManualClock(datetime.now(UTC)),
        background=True,
        simulated_stage_seconds=STAGE_SECONDS,
        tick_seconds=0.1,
        operator_users=DEMO_USER,
    )
    ids = demo_ids(console)
    script_errors: list[Error] = []
    page.on("pageerror", lambda error: script_errors.append(error))
    console.sign_in(page, ADMIN)

    for shot in PAGES:
        response = page.goto(console.at(shot.path.format(**ids)))
        page.wait_for_load_state("networkidle")

        assert response is not None and response.status == 200, shot.path
        assert page.locator("main h1, main h2").count() > 0, shot.path
    assert script_errors == []
