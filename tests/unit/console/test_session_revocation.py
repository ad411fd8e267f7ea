"""A console session ends at once when Clerk's webhooks delete its user, its membership
or its organization: the next request goes to sign in, in every process (ADR 0022).
Both storages: the check is a read through the tenant's row-level security."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from manyfutures.core.identity.use_cases import (
    DeleteOrganizationCommand,
    DeleteUserCommand,
    IdentityChange,
    RemoveMembershipCommand,
    SyncMembershipCommand,
)
from manyfutures.core.shared.actor import Role
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER
from tests.browser.live_console import console_settings
from tests.support.container import deterministic_container
from tests.unit.console.console_client import ConsoleClient


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def console(request: pytest.FixtureRequest) -> Iterator[ConsoleClient]:
    database = request.getfixturevalue("db") if request.param == "postgres" else None
    container = deterministic_container(console_settings(request.param, database))
    console = ConsoleClient.build(container)
    console.sign_in()
    assert console.client.get("/projects").status_code == 200
    yield console
    if request.param == "postgres":
        container.adapters.postgres_engine().dispose()


@pytest.mark.parametrize(
    "change",
    [
        DeleteUserCommand(DEMO_USER),
        RemoveMembershipCommand(DEMO_ORG, DEMO_USER),
        DeleteOrganizationCommand(DEMO_ORG),
    ],
    ids=["user", "membership", "organization"],
)
def test_a_deletion_ends_the_session_on_its_next_request(
    console: ConsoleClient, change: IdentityChange
) -> None:
    console.container.identity.apply_identity_change()(change)

    response = console.client.get("/projects")

    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/projects"
    # The cookie is cleared too: the session does not come back.
    assert console.client.get("/projects").status_code == 303


def test_signing_in_again_after_a_removal_is_refused(console: ConsoleClient) -> None:
    console.container.identity.apply_identity_change()(RemoveMembershipCommand(DEMO_ORG, DEMO_USER))

    response = console.post("/sign-in/dev", {"identity": "0"})

    assert response.status_code == 403
    assert "no longer a member" in response.get_data(as_text=True)


def test_a_changed_role_shows_on_the_next_request(console: ConsoleClient) -> None:
    """The cookie holds no role: a demoted admin is a member from the next page on."""
    console.container.identity.apply_identity_change()(
        SyncMembershipCommand(DEMO_ORG, "Demo", DEMO_USER, "d@example.org", "Demo", Role.MEMBER)
    )

    page = console.client.get("/projects").get_data(as_text=True)

    assert "· member" in page
