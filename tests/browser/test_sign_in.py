"""Signing in and out of the console in a browser, and a session that ends."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleFactory
from tests.browser.live_console import LiveConsole
from tests.support.fakes import ManualClock


def test_a_page_asks_for_sign_in_then_returns_to_it(page: Page, live_console: LiveConsole) -> None:
    page.goto(live_console.at("/projects/new"))
    expect(page).to_have_url(live_console.at("/sign-in?next=/projects/new"))

    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(live_console.at("/projects/new"))
    expect(page.get_by_role("heading", name="New project")).to_be_visible()


def test_sign_out_ends_the_session(page: Page, live_console: LiveConsole) -> None:
    live_console.sign_in(page)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(live_console.at("/projects"))
    expect(page).to_have_url(live_console.at("/sign-in?next=/projects"))


def test_an_expired_session_sends_the_reader_to_sign_in(
    page: Page, console_factory: ConsoleFactory
) -> None:
    clock = ManualClock()
    console = console_factory(clock=clock, console_session_seconds=3600)
    console.sign_in(page)
    clock.advance(timedelta(minutes=59))
    page.reload()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    clock.advance(timedelta(minutes=1))
    page.reload()

    expect(page).to_have_url(console.at("/sign-in?next=/projects"))
    expect(page.get_by_text("Your session has expired: sign in again.")).to_be_visible()
