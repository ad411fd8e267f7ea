"""``make screenshots``: a PNG of each console page under docs/screenshots/.

Not a test (``make test`` never writes to the tree). It serves the memory-mode app
with the demo tenant, signs in through the dev sign-in page, and saves each page in
``PAGES``. Append a page: its file name, its path (``{project_id}`` and the other
``demo_ids`` keys are filled in), and who signs in to see it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from manyfutures.entrypoints.demo import DEMO_USER, seed_demo
from tests.browser.conftest import CHROMIUM
from tests.browser.live_console import ADMIN, LiveConsole, console_settings, serve_console

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class ScreenshotPage:
    name: str
    path: str
    identity: int = ADMIN


PAGES = [
    ScreenshotPage("sign-in", "/sign-in"),
    ScreenshotPage("projects", "/projects"),
    ScreenshotPage("new-project", "/projects/new"),
    ScreenshotPage("project-settings", "/projects/{project_id}/settings"),
    ScreenshotPage("admin-usage", "/admin/usage"),
    ScreenshotPage("admin-settings", "/admin/settings"),
    ScreenshotPage("admin-operations", "/admin/operations"),
    ScreenshotPage("admin-audit-log", "/admin/audit-log"),
    ScreenshotPage("operator-operations", "/operator/operations"),
]


def demo_ids(console: LiveConsole) -> dict[str, str]:
    """The demo tenant's ids the paths may name; seeded through the ordinary use cases."""
    project = seed_demo(console.container)
    return {"project_id": project.id}


def main() -> int:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    arguments = ["--no-sandbox"] if os.geteuid() == 0 else []
    with (
        # The demo admin is also an operator here, so the operator page can be shown.
        serve_console(
            console_settings("memory", operator_users=DEMO_USER), background=True
        ) as console,
        sync_playwright() as playwright,
    ):
        ids = demo_ids(console)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=arguments)
        for shot in PAGES:
            context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/London")
            page = context.new_page()
            if shot.path != "/sign-in":
                console.sign_in(page, shot.identity)
            page.goto(console.at(shot.path.format(**ids)))
            page.wait_for_load_state("networkidle")
            target = OUTPUT / f"{shot.name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target.relative_to(OUTPUT.parents[1]))
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
