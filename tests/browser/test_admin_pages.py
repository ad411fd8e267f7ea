"""The admins' and operators' pages in a browser: usage after a publish, settings with
field errors, and who gets which page (nav link and direct URL alike)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER
from tests.browser.conftest import ConsoleFactory
from tests.browser.live_console import ADMIN, MEMBER, LiveConsole

ADMIN_PAGES = ("/admin/usage", "/admin/settings", "/admin/operations", "/admin/audit-log")
PUBLISH_TIMEOUT_SECONDS = 60


def _reload_until(page: Page, selector: str, text: str) -> None:
    """The background loops publish on their own: reload until the page shows it."""
    deadline = time.monotonic() + PUBLISH_TIMEOUT_SECONDS
    while page.locator(selector).inner_text() != text:
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        page.wait_for_timeout(250)
        page.reload()


@pytest.mark.parametrize("storage", ["memory", "postgres"])
def test_the_admins_usage_page_shows_spend_after_a_publish(
    page: Page, console_factory: ConsoleFactory, storage: str
) -> None:
    console = console_factory(storage, background=True, simulated_stage_seconds=0.05)
    console.sign_in(page, ADMIN, then="/admin/usage")
    expect(page.locator("[data-spent]")).to_have_text("£0.00")
    console.container.projects.create_project()(
        CreateProjectCommand(
            Actor(DEMO_USER, DEMO_ORG, Role.ADMIN), "Energy", "Grid storage", deliver_first_now=True
        )
    )

    _reload_until(page, "[data-spent]", "£0.03")  # the simulated run's reported cost

    expect(page.locator("[data-limit]")).to_have_text("£50.00")
    expect(page.locator("[data-breaker-state]")).to_have_text("closed")
    today = page.locator("[data-usage-chart] rect.bar-today")
    assert float(today.get_attribute("height") or 0) > 0
    expect(page.locator("[data-usage-chart] rect.bar")).to_have_count(30)


def test_a_member_gets_no_admin_pages(page: Page, memory_console: LiveConsole) -> None:
    memory_console.sign_in(page, MEMBER)

    expect(page.locator("nav a.nav-admin")).to_have_count(0)
    for path in ADMIN_PAGES:
        response = page.goto(memory_console.at(path))
        assert response is not None and response.status == 403, path
    response = page.request.post(memory_console.at("/admin/settings"), form={"x": "1"})
    assert response.status in (400, 403)  # no CSRF token, and no admin either


def test_an_admin_sees_the_admin_links_but_no_operator_page(
    page: Page, memory_console: LiveConsole
) -> None:
    memory_console.sign_in(page, ADMIN)

    expect(page.get_by_role("link", name="Usage")).to_be_visible()
    expect(page.locator("nav a.nav-operator")).to_have_count(0)
    response = page.goto(memory_console.at("/operator/operations"))
    assert response is not None and response.status == 403


def test_an_operator_sees_every_organization(page: Page, console_factory: ConsoleFactory) -> None:
    console = console_factory("memory", operator_users=f"someone_else, {DEMO_USER}")
    console.container.projects.create_project()(
        CreateProjectCommand(Actor(DEMO_USER, DEMO_ORG, Role.ADMIN), "Energy", "Grid storage")
    )
    console.sign_in(page, MEMBER)  # a member is no operator
    assert page.goto(console.at("/operator/operations")).status == 403  # type: ignore[union-attr]
    page.context.clear_cookies()
    console.sign_in(page, ADMIN)

    page.locator("nav a.nav-operator").click()

    expect(page.get_by_role("heading", name="Operations, every organization")).to_be_visible()
    expect(page.locator("[data-queue-counts] tbody tr")).to_contain_text([DEMO_ORG])


@pytest.mark.parametrize("storage", ["memory", "postgres"])
def test_an_admin_changes_the_daily_limit_and_sees_field_errors(
    page: Page, console_factory: ConsoleFactory, storage: str
) -> None:
    console = console_factory(storage)
    console.sign_in(page, ADMIN, then="/admin/settings")
    limit = page.get_by_label("Daily cost limit (£)")
    expect(limit).to_have_value("50.00")

    limit.fill("a lot")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#dailyCostLimitGbp-errors")).to_be_visible()
    expect(limit).to_have_attribute("aria-invalid", "true")
    expect(limit).to_have_value("a lot")

    limit.fill("100000.00")  # above the plan's ceiling (500.00 by default)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#dailyCostLimitGbp-errors")).to_contain_text("500")

    page.get_by_label("Daily cost limit (£)").fill("25.00")
    page.get_by_label("highlights").check()
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_text("Organization settings saved.")).to_be_visible()
    expect(page.get_by_label("Daily cost limit (£)")).to_have_value("25.00")
    expect(page.get_by_label("highlights")).to_be_checked()
    page.goto(console.at("/admin/audit-log?resourceType=organization"))
    expect(page.locator("[data-audit-log] tbody")).to_contain_text("organization.update")
