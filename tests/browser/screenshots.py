"""``make screenshots``: a PNG of each console page under docs/screenshots/.

Not a test (``make test`` never writes to the tree). It serves the memory-mode app
with the demo tenant, signs in through the dev sign-in page, and saves each page in
``PAGES``. Append a page: its file name, its path (``{project_id}`` and the other
``demo_ids`` keys are filled in), and who signs in to see it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from manyfutures.core.episodes.episode import Episode, EpisodeStatus, GenerationStage
from manyfutures.core.generation.use_cases import RequestEpisodeCommand
from manyfutures.entrypoints.console.sign_in import DEV_IDENTITIES
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER, seed_demo
from tests.browser.conftest import CHROMIUM
from tests.browser.live_console import ADMIN, LiveConsole, console_settings, serve_console
from tests.support.fakes import ManualClock

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
STAGE_SECONDS = 2.0


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
    ScreenshotPage("episodes", "/projects/{project_id}/episodes"),
    ScreenshotPage("episode", "/episodes/{episode_id}"),
    ScreenshotPage("notifications", "/notifications"),
    ScreenshotPage("admin-usage", "/admin/usage"),
    ScreenshotPage("admin-settings", "/admin/settings"),
    ScreenshotPage("admin-operations", "/admin/operations"),
    ScreenshotPage("admin-audit-log", "/admin/audit-log"),
    ScreenshotPage("operator-operations", "/operator/operations"),
]


def demo_ids(console: LiveConsole) -> dict[str, str]:
    """The demo tenant's ids the paths may name, seeded through the ordinary use cases:
    its first episode published, and a second one caught in the middle of writing (the
    background loops run on a manual clock this script moves a stage at a time)."""
    project = seed_demo(console.container)
    first = _walk(console, project.id, lambda e: e.status is EpisodeStatus.PUBLISHED)
    console.container.generation.request_episode_now()(
        RequestEpisodeCommand(DEV_IDENTITIES[ADMIN].actor, project.id)
    )
    _walk(console, project.id, lambda e: e.progress_stage is GenerationStage.WRITING)
    return {"project_id": project.id, "episode_id": first.id}


def _walk(console: LiveConsole, project_id: str, done: Callable[[Episode], bool]) -> Episode:
    """Move the clock a stage at a time until one of the project's episodes is done."""
    assert console.clock is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with console.container.adapters.uow_factory()(DEMO_ORG) as uow:
            episodes = uow.episodes.list_for_project(project_id, 10)
        finished = [e for e in episodes if done(e)]
        if finished:
            return finished[0]
        if any(e.status is EpisodeStatus.GENERATING for e in episodes):
            console.clock.advance(timedelta(seconds=STAGE_SECONDS))
        time.sleep(0.5)
    raise RuntimeError("the demo episode did not get there within 60 s")


def main() -> int:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    arguments = ["--no-sandbox"] if os.geteuid() == 0 else []
    with (
        # The demo admin is also an operator here, so the operator page can be shown.
        serve_console(
            console_settings(
                "memory",
                simulated_stage_seconds=STAGE_SECONDS,
                tick_seconds=0.1,
                operator_users=DEMO_USER,
            ),
            ManualClock(datetime.now(UTC)),
            background=True,
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
