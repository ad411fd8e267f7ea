"""The admin and operator pages over the Flask test client: retry through the reader's
use case, bad filters and settings shown as field errors (never a 500, nothing written),
and no other organization's id on a page a non-operator can reach."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    RequestEpisodeCommand,
    ResultOutcome,
    StartGenerationCommand,
)
from manyfutures.core.identity.use_cases import ActorQuery
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER
from manyfutures.settings import Settings
from tests.support.container import deterministic_container
from tests.unit.console.console_client import ConsoleClient

ADMIN_ACTOR = Actor(DEMO_USER, DEMO_ORG, Role.ADMIN)
MEMBER, OTHER_ADMIN = 1, 2


def _console(**settings: str) -> ConsoleClient:
    console = ConsoleClient.build(deterministic_container(Settings(**settings)))
    console.sign_in()
    return console


@pytest.fixture
def console() -> ConsoleClient:
    return _console()


def _failed_episode(console: ConsoleClient) -> str:
    """A generation of a new project that failed for good; returns its episode id."""
    container = console.container
    project = container.projects.create_project()(
        CreateProjectCommand(ADMIN_ACTOR, "Energy", "Grid storage")
    )
    container.generation.request_episode_now()(RequestEpisodeCommand(ADMIN_ACTOR, project.id))
    (item,) = container.adapters.scheduler_gateway().claim_due_items(
        container.adapters.clock().now(), container.adapters.leases().start, 10, 3
    )
    container.generation.start_generation()(
        StartGenerationCommand(DEMO_ORG, item.id, item.attempt_count)
    )
    with container.adapters.uow_factory()(DEMO_ORG) as uow:
        run = uow.runs.latest_for_episode(item.episode_id)
    assert run is not None
    outcome = container.generation.apply_generation_result()(
        GenerationFailed(DEMO_ORG, run.id, "Writer agent timed out", False)
    )
    assert outcome is ResultOutcome.FAILED
    return item.episode_id


def test_a_failed_episode_is_shown_with_its_error_and_retried_from_the_page(
    console: ConsoleClient,
) -> None:
    episode_id = _failed_episode(console)
    console.container.adapters.clock().advance(timedelta(minutes=5))  # a slot of its own
    page = console.client.get("/admin/operations").get_data(as_text=True)
    assert episode_id in page and "Writer agent timed out" in page

    response = console.post(
        f"/admin/operations/episodes/{episode_id}/retry", {}, token_from="/admin/operations"
    )

    assert response.status_code == 303
    with console.container.adapters.uow_factory()(DEMO_ORG) as uow:
        episode = uow.episodes.get(episode_id)
    assert episode is not None and episode.status is EpisodeStatus.DRAFT
    after = console.client.get("/admin/operations").get_data(as_text=True)
    assert f"Episode {episode_id} queued again." in after  # the flash
    assert "Writer agent timed out" not in after and "No failed episodes." in after


def test_htmx_gets_the_panels_alone(console: ConsoleClient) -> None:
    response = console.client.get("/admin/operations", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-queue-counts" in body and "<html" not in body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("from=yesterday", "from"),
        ("resourceType=spaceship", "resourceType"),
    ],
)
def test_bad_audit_filters_are_field_errors(console: ConsoleClient, query: str, field: str) -> None:
    response = console.client.get(f"/admin/audit-log?{query}")
    assert response.status_code == 422
    assert f'id="{field}-errors"' in response.get_data(as_text=True)


def test_audit_filters_narrow_the_log(console: ConsoleClient) -> None:
    console.container.projects.create_project()(
        CreateProjectCommand(ADMIN_ACTOR, "Energy", "Grid storage")
    )
    everything = console.client.get("/admin/audit-log").get_data(as_text=True)
    projects = console.client.get("/admin/audit-log?resourceType=project").get_data(as_text=True)
    assert "membership.create" in everything and "project.create" in everything
    assert "membership.create" not in projects and "project.create" in projects


@pytest.mark.parametrize("limit", ["a lot", "-1", "50.001", "", "100000.00"], ids=str)
def test_a_bad_limit_is_a_field_error_and_changes_nothing(
    console: ConsoleClient, limit: str
) -> None:
    response = console.post(
        "/admin/settings",
        {"dailyCostLimitGbp": limit, "enabledFeatures": ["highlights"]},
        token_from="/admin/settings",
    )

    assert response.status_code == 422
    assert 'id="dailyCostLimitGbp-errors"' in response.get_data(as_text=True)
    settings = console.container.identity.get_organization()(ActorQuery(ADMIN_ACTOR))
    assert settings.organization.daily_cost_limit_gbp == Decimal("50")
    assert settings.organization.enabled_features == []


def test_an_unknown_feature_is_a_field_error(console: ConsoleClient) -> None:
    response = console.post(
        "/admin/settings",
        {"dailyCostLimitGbp": "20.00", "enabledFeatures": ["teleport"]},
        token_from="/admin/settings",
    )
    assert response.status_code == 422
    assert 'id="enabledFeatures-errors"' in response.get_data(as_text=True)


def test_settings_are_saved_and_audited(console: ConsoleClient) -> None:
    response = console.post(
        "/admin/settings",
        {"dailyCostLimitGbp": "20.00", "enabledFeatures": ["chat", "highlights"]},
        token_from="/admin/settings",
    )
    assert response.status_code == 303
    settings = console.container.identity.get_organization()(ActorQuery(ADMIN_ACTOR))
    assert settings.organization.daily_cost_limit_gbp == Decimal("20.00")
    assert sorted(settings.organization.enabled_features) == ["chat", "highlights"]


OTHER_ADMIN_ACTOR = Actor("user_other_admin", "org_other", Role.ADMIN)


OTHER_TITLE = "Ports of the other organization"


def _queue_an_episode(console: ConsoleClient, actor: Actor, title: str = "Ports") -> None:
    """A project of ``actor``'s organization with an episode waiting in the queue, so the
    operations views have a row of that organization to show (or to hide)."""
    container = console.container
    project = container.projects.create_project()(CreateProjectCommand(actor, title, "Trade"))
    container.generation.request_episode_now()(RequestEpisodeCommand(actor, project.id))


def _start_queued_generations(console: ConsoleClient) -> None:
    container = console.container
    for item in container.adapters.scheduler_gateway().claim_due_items(
        container.adapters.clock().now(), container.adapters.leases().start, 10, 3
    ):
        container.generation.start_generation()(
            StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
        )


def test_no_other_organizations_data_reaches_a_non_operator() -> None:
    """The other organization has a generation in flight: the operator sees its id and
    its project's title; the admin of another organization sees neither, anywhere."""
    console = _console(operator_users="user_other_admin")
    console.sign_in(OTHER_ADMIN)  # an operator's own organization now exists
    _queue_an_episode(console, OTHER_ADMIN_ACTOR, OTHER_TITLE)
    _start_queued_generations(console)
    operator_view = console.client.get("/operator/operations").get_data(as_text=True)
    assert "org_other" in operator_view and OTHER_TITLE in operator_view
    console.sign_in()
    for path in ("/operator/operations", "/admin/operations", "/admin/usage"):
        body = console.client.get(path).get_data(as_text=True)
        assert "org_other" not in body and OTHER_TITLE not in body, path
    assert console.client.get("/operator/operations").status_code == 403


def _queue_row_organizations(body: str) -> set[str]:
    table = body[body.index("<table data-queue-counts>") : body.index("</table>")]
    return set(re.findall(r"<tr><td>([^<]+)</td>", table))


def test_the_operator_page_shows_every_organization() -> None:
    console = _console(operator_users=DEMO_USER)
    console.sign_in(OTHER_ADMIN)
    _queue_an_episode(console, OTHER_ADMIN_ACTOR)
    console.sign_in()
    _queue_an_episode(console, ADMIN_ACTOR)
    response = console.client.get("/operator/operations")
    assert response.status_code == 200
    assert _queue_row_organizations(response.get_data(as_text=True)) == {DEMO_ORG, "org_other"}
    polled = console.client.get("/operator/operations", headers={"HX-Request": "true"})
    panels = polled.get_data(as_text=True)
    assert "<html" not in panels
    assert _queue_row_organizations(panels) == {DEMO_ORG, "org_other"}
