"""Every cookie-authenticated POST needs the form's CSRF token; without it nothing is
written and the reader gets a page (400), not an error trace."""

from __future__ import annotations

import pytest

from manyfutures.core.projects.use_cases import ListProjectsQuery
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER
from manyfutures.settings import Settings
from tests.support.container import deterministic_container
from tests.unit.console.console_client import ConsoleClient

NEW_PROJECT = {"title": "Ports", "brief": "Shipping", "cadence_mode": "daily"}


@pytest.fixture
def console() -> ConsoleClient:
    console = ConsoleClient.build(deterministic_container(Settings()))
    console.sign_in()
    return console


def _projects(console: ConsoleClient) -> list[str]:
    actor = Actor(DEMO_USER, DEMO_ORG, Role.ADMIN)
    return [p.title for p in console.container.projects.list_projects()(ListProjectsQuery(actor))]


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
def test_a_post_without_the_token_is_refused_and_writes_nothing(
    console: ConsoleClient, token: str | None
) -> None:
    form = NEW_PROJECT if token is None else {**NEW_PROJECT, "csrf_token": token}

    response = console.client.post("/projects/new", data=form)

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "This form has expired" in response.get_data(as_text=True)
    assert _projects(console) == []


def test_the_same_post_with_the_token_is_written(console: ConsoleClient) -> None:
    response = console.post("/projects/new", NEW_PROJECT, token_from="/projects/new")

    assert response.status_code == 303
    assert _projects(console) == ["Ports"]


def test_sign_out_needs_the_token_too(console: ConsoleClient) -> None:
    assert console.client.post("/sign-out").status_code == 400
    assert console.client.get("/projects").status_code == 200


def test_the_api_is_not_subject_to_the_console_s_csrf(console: ConsoleClient) -> None:
    """Bearer/dev-header authenticated JSON calls carry no cookie credentials."""
    response = console.client.post(
        "/v1/projects",
        json={"title": "API", "brief": "b"},
        headers={"X-Dev-User": DEMO_USER, "X-Dev-Org": DEMO_ORG, "X-Dev-Role": "admin"},
    )

    assert response.status_code == 201
