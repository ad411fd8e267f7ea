"""The reader's pages in a real browser: an episode written stage by stage on screen, a
planning note reaching the next generation, hostile content left inert, notifications.

The test plays the background loops' part (the scheduler's tick, the worker's job, the
simulation's beat) and moves a manual clock, so each stage is on screen for as long as
the test looks at it, and nothing sleeps but the browser waiting for the page.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers
from playwright.sync_api import Dialog, Page, expect

from manyfutures.adapters.memory.simulated_generator import SimulatedGenerator
from manyfutures.container import Container
from manyfutures.core.episodes.episode import Source
from manyfutures.core.generation.ports import GenerationRequest
from manyfutures.core.generation.use_cases import (
    GenerationSucceeded,
    ModelUsage,
    RequestEpisodeCommand,
    StartGenerationCommand,
)
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.entrypoints.console.sign_in import DEV_IDENTITIES
from tests.browser.conftest import ConsoleFactory
from tests.browser.live_console import ADMIN, LiveConsole
from tests.support.fakes import ManualClock, RecordingDispatcher

STAGE = timedelta(seconds=10)
READER = DEV_IDENTITIES[ADMIN].actor
HOSTILE = """# Grid week

Before <script>window.pwned = true; alert('script ran')</script> after.

<img src="x" onerror="window.pwned = true; alert('onerror ran')">

[a tempting link](javascript:window.pwned=true;alert('link ran'))

<iframe src="javascript:alert('iframe ran')"></iframe>
"""


class RecordingSimulation:
    """The real simulated generator, keeping every request it is handed (the payload)."""

    def __init__(self, simulation: SimulatedGenerator) -> None:
        self.simulation = simulation
        self.requests: list[GenerationRequest] = []

    def start(self, request: GenerationRequest) -> None:
        self.requests.append(request)
        self.simulation.start(request)


class Worker:
    """The scheduler's tick and the worker's job, run when the test says so."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.dispatcher = RecordingDispatcher()
        self.generator = RecordingSimulation(container.generation.generator())
        # Before anything resolves the use cases that hold them.
        container.scheduling.dispatcher.override(providers.Object(self.dispatcher))
        container.generation.generator.override(providers.Object(self.generator))

    def start_due(self) -> None:
        """Claim what is due and start each claimed item, as a worker would."""
        self.container.scheduling.scheduler_tick()()
        jobs, self.dispatcher.dispatched = self.dispatcher.dispatched, []
        start = self.container.generation.start_generation()
        for item in jobs:
            start(StartGenerationCommand(item.organization_id, item.id, item.attempt_count))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def reader_console(
    console_factory: ConsoleFactory, clock: ManualClock, storage: str = "memory", pace: float = 0
) -> tuple[LiveConsole, Worker]:
    console = console_factory(storage, clock=clock, simulated_stage_seconds=pace)
    return console, Worker(console.container)


def new_project(console: LiveConsole, title: str = "Grid storage") -> Project:
    """A project of the signed-in reader's (sign in first: it brings their rows)."""
    create = console.container.projects.create_project()
    return create(CreateProjectCommand(READER, title, "Batteries, policy and prices"))


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every dialog the page opens (none should): dismissed, and remembered."""
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


@pytest.mark.parametrize("storage", ["memory", "postgres"])
def test_generate_now_shows_research_writing_and_review_then_the_episode_without_reloading(
    page: Page, console_factory: ConsoleFactory, clock: ManualClock, storage: str
) -> None:
    console, worker = reader_console(console_factory, clock, storage, STAGE.total_seconds())
    console.sign_in(page)
    project = new_project(console)
    page.goto(console.at(f"/projects/{project.id}/episodes"))

    page.get_by_role("button", name="Generate now").click()
    status = page.locator(".episodes .episode-status").first
    expect(status).to_have_attribute("data-status", "draft")
    expect(status).to_contain_text("queued")
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page

    worker.start_due()
    expect(status).to_have_attribute("data-status", "generating")
    seen = []
    for stage, percent in (("research", 30), ("writing", 60), ("review", 90)):
        clock.advance(STAGE)
        assert worker.generator.simulation.advance().reports == 1
        expect(status).to_have_attribute("data-stage", stage)
        expect(status).to_contain_text(f"{percent}%")
        seen.append(stage)
    clock.advance(STAGE)
    worker.generator.simulation.advance()

    expect(status).to_have_attribute("data-status", "published")
    assert seen == ["research", "writing", "review"]
    assert page.evaluate("window.sameDocument") is True
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    status.get_by_role("link", name="Read it").click()
    expect(page.get_by_role("heading", name="Grid storage: signals and scenarios")).to_be_visible()
    expect(page.locator(".reading-time")).to_have_text("1 min read")
    expect(page.get_by_role("link", name="Many Futures simulator")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )


def test_a_planning_note_from_the_reader_page_reaches_the_next_generation(
    page: Page, console_factory: ConsoleFactory, clock: ManualClock
) -> None:
    console, worker = reader_console(console_factory, clock)
    console.sign_in(page)
    project = new_project(console)
    console.container.generation.request_episode_now()(RequestEpisodeCommand(READER, project.id))
    worker.start_due()  # at a pace of 0, published before the job returns
    (first,) = worker.generator.requests
    page.goto(console.at(f"/episodes/{first.episode_id}"))

    page.get_by_label("What should the next episode cover?").fill("More on sodium-ion, please")
    page.get_by_role("button", name="Add planning note").click()

    expect(
        page.get_by_text("Noted: your note will steer the project's next episode.")
    ).to_be_visible()
    expect(page.locator(".pending-notes")).to_have_text("More on sodium-ion, please")
    page.goto(console.at(f"/projects/{project.id}/episodes"))
    clock.advance(timedelta(minutes=1))
    page.get_by_role("button", name="Generate now").click()
    worker.start_due()
    expect(page.locator(".episodes .episode-status").first).to_have_attribute(
        "data-status", "published"
    )
    _, second = worker.generator.requests
    assert [note.note for note in second.planning_notes] == ["More on sodium-ion, please"]
    assert first.planning_notes == ()


def test_a_refused_generation_says_the_daily_limit_is_reached(
    page: Page, console_factory: ConsoleFactory, clock: ManualClock
) -> None:
    console, worker = reader_console(console_factory, clock)
    console.sign_in(page)
    project = new_project(console)
    # A limit below one generation's reservation: the first start opens the breaker.
    console.container.identity.update_organization()(
        UpdateOrganizationCommand(READER, daily_cost_limit_gbp="1.00")
    )
    console.container.generation.request_episode_now()(RequestEpisodeCommand(READER, project.id))
    worker.start_due()
    page.goto(console.at(f"/projects/{project.id}/episodes"))

    clock.advance(timedelta(minutes=1))
    page.get_by_role("button", name="Generate now").click()

    expect(page.get_by_role("alert")).to_contain_text("daily AI cost limit")
    expect(page.get_by_role("alert")).to_contain_text("00:00 UTC")


@pytest.mark.parametrize("storage", ["memory", "postgres"])
def test_hostile_episode_content_renders_inert(
    page: Page,
    console_factory: ConsoleFactory,
    clock: ManualClock,
    dialogs: list[str],
    storage: str,
) -> None:
    console, worker = reader_console(console_factory, clock, storage, pace=3600)
    console.sign_in(page)
    project = new_project(console)
    console.container.generation.request_episode_now()(RequestEpisodeCommand(READER, project.id))
    worker.start_due()
    (request,) = worker.generator.requests
    # The run's result, as n8n's completed callback would bring it.
    console.container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id=request.organization_id,
            run_id=request.run_id,
            title="<script>window.pwned = true</script>Grid week",
            summary="Summary <img src=x onerror=alert('summary')>",
            content=HOSTILE,
            sources=(
                Source("A javascript: source", "javascript:alert('source ran')"),
                Source("A real source", "https://iea.example/report"),
            ),
            reasoning="",
            confidence=0.5,
            usage=(ModelUsage("simulated-model", 10, 10, Decimal("0.01")),),
        )
    )
    page.add_init_script("window.pwned = false")

    page.goto(console.at(f"/episodes/{request.episode_id}"))
    page.get_by_text("a tempting link").click()
    page.get_by_text("A javascript: source").click()

    assert page.evaluate("window.pwned") is False
    assert dialogs == []
    # The script is shown as the text it is.
    expect(page.locator(".episode-content")).to_contain_text("Before <script>window.pwned = true;")
    assert page.locator(".reader script, .reader iframe, .reader [onerror]").count() == 0
    assert page.locator("a[href^='javascript' i]").count() == 0
    expect(page.get_by_role("link", name="A real source")).to_have_attribute(
        "href", "https://iea.example/report"
    )


def test_the_unread_count_in_the_navigation_goes_down_as_notifications_are_read(
    page: Page, console_factory: ConsoleFactory, clock: ManualClock
) -> None:
    console, worker = reader_console(console_factory, clock)
    console.sign_in(page)
    project = new_project(console)
    for _ in range(2):
        console.container.generation.request_episode_now()(
            RequestEpisodeCommand(READER, project.id)
        )
        worker.start_due()
        clock.advance(timedelta(minutes=1))
    badge = page.locator("#unread-count")

    page.goto(console.at("/projects"))
    expect(badge).to_have_text("2")
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("#page-unread")).to_have_text("2 unread")
    page.locator(".notifications li.unread").first.get_by_role("button", name="Mark read").click()
    expect(badge).to_have_text("1")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#page-unread")).to_have_text("0 unread")
    expect(badge).to_have_text("")
    page.locator(".notifications li").first.get_by_role("button", name="Open").click()
    expect(page.locator(".reading-time")).to_be_visible()
