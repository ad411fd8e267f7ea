"""The reader's project pages in a browser: create, validate, keyboard-only, settings."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.live_console import LiveConsole

# Keys a keyboard-only reader uses to move and act; text is typed.
MAX_TABS = 40


def _new_project(page: Page, console: LiveConsole) -> None:
    console.sign_in(page)
    page.get_by_role("link", name="New project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()


def test_create_a_project_through_the_form(page: Page, live_console: LiveConsole) -> None:
    _new_project(page, live_console)
    page.get_by_label("Title").fill("Shipping lanes")
    page.get_by_label("Brief").fill("Where container shipping goes as the Arctic opens.")
    page.get_by_label("How often").select_option("custom")
    page.get_by_label("Tuesday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("Monday").uncheck()
    page.get_by_label("Delivery time").fill("07:30")
    page.get_by_label("Time zone").fill("Asia/Tokyo")

    page.get_by_role("button", name="Create project").click()

    expect(page).to_have_url(live_console.at("/projects"))
    expect(page.get_by_text("Project “Shipping lanes” created.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Shipping lanes")
    expect(row).to_contain_text("Tuesday, Thursday at 07:30 (Asia/Tokyo)")
    # Tokyo's 07:30 is the previous evening in London, the reader's own time zone.
    expect(row.locator(".next-delivery")).to_have_text(re.compile(r"^(Mon|Wed) .* 22:30 GMT$"))


def test_the_time_zone_defaults_to_the_browser_s(
    browser: Browser, memory_console: LiveConsole
) -> None:
    context = browser.new_context(timezone_id="America/Sao_Paulo")
    page = context.new_page()
    _new_project(page, memory_console)
    expect(page.get_by_label("Time zone")).to_have_value("America/Sao_Paulo")
    page.get_by_label("Title").fill("Coffee")
    page.get_by_label("Brief").fill("Coffee prices.")

    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("row").filter(has_text="Coffee")).to_contain_text(
        "Every Monday at 09:00 (America/Sao_Paulo)"
    )
    context.close()


def test_form_errors_show_beside_their_fields_and_nothing_is_created(
    page: Page, live_console: LiveConsole
) -> None:
    _new_project(page, live_console)
    page.get_by_label("Brief").fill("Something")
    page.get_by_label("Tuesday").check()  # weekly, now with two days
    page.get_by_label("Time zone").fill("Mars/Olympus_Mons")

    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    expect(page.locator("#title-errors")).to_have_text("Length must be between 1 and 200.")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept.
    expect(page.get_by_label("Brief")).to_have_value("Something")
    # The schema's messages first, then the use case's, as the API words them.
    page.get_by_label("Title").fill("Mars")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("#timezone-errors")).to_contain_text("unknown time zone")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("#days-errors")).to_have_text("a weekly cadence needs exactly one day")

    page.goto(live_console.at("/projects"))
    expect(page.get_by_text("No projects yet.")).to_be_visible()


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(MAX_TABS):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_new_project_form_works_with_the_keyboard_alone(
    page: Page, memory_console: LiveConsole
) -> None:
    memory_console.sign_in(page)
    _tab_to(page, "a:has-text('New project')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New project")).to_be_visible()

    _tab_to(page, "#title")
    page.keyboard.type("Keyboard only")
    page.keyboard.press("Tab")
    page.keyboard.type("Briefed without a mouse.")
    _tab_to(page, "input[name=days][value='1']")  # Monday, ticked by default
    page.keyboard.press("Space")
    _tab_to(page, "input[name=days][value='3']")  # Wednesday
    page.keyboard.press("Space")
    _tab_to(page, "button:has-text('Create project')")
    page.keyboard.press("Enter")

    expect(page.get_by_role("row").filter(has_text="Keyboard only")).to_contain_text(
        "Every Wednesday at 09:00"
    )


def test_pause_resume_and_change_the_schedule(page: Page, live_console: LiveConsole) -> None:
    _new_project(page, live_console)
    page.get_by_label("Title").fill("Grid storage")
    page.get_by_label("Brief").fill("Batteries on the grid.")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("link", name="Grid storage").click()

    page.get_by_role("button", name="Pause deliveries").click()
    expect(page.get_by_text("is paused: no deliveries until you resume it")).to_be_visible()
    page.get_by_role("button", name="Resume deliveries").click()
    expect(page.get_by_text("is active again from its next delivery")).to_be_visible()

    page.get_by_label("How often").select_option("daily")
    page.get_by_label("Delivery time").fill("18:15")
    page.get_by_role("button", name="Save schedule").click()

    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_text("Every day at 18:15 (Europe/London).")).to_be_visible()
    expect(page.locator(".next-delivery")).to_contain_text("18:15")


def test_a_settings_change_made_elsewhere_meanwhile_is_reported(
    browser: Browser, memory_console: LiveConsole
) -> None:
    """The form carries the version it was rendered from, as If-Match does in the API."""
    first, second = browser.new_context().new_page(), browser.new_context().new_page()
    _new_project(first, memory_console)
    first.get_by_label("Title").fill("Fusion")
    first.get_by_label("Brief").fill("Fusion power.")
    first.get_by_role("button", name="Create project").click()
    first.get_by_role("link", name="Fusion").click()
    memory_console.sign_in(second, then=first.url.removeprefix(memory_console.url))
    second.get_by_role("button", name="Pause deliveries").click()

    first.get_by_label("Delivery time").fill("06:00")
    first.get_by_role("button", name="Save schedule").click()

    expect(first.get_by_role("alert")).to_contain_text("changed elsewhere since you opened")
    expect(first.locator(".status")).to_have_text("paused")
