"""The first request after sign-up works before Clerk's webhooks arrive; deletions stick.

A valid session for an organization, user and membership no webhook has created yet
creates them just in time from the token (ids and role), once; the webhooks fill in
the rest later. What a webhook deleted is never brought back by a session token
that outlived the deletion: a deleted user is 401, a deleted organization or a
removed membership is 403. Every test runs in memory and in PostgreSQL mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.container import Container
from manyfutures.core.identity.use_cases import DeleteOrganizationCommand
from manyfutures.core.storage import StorageFactory, StorageUnitOfWork
from manyfutures.entrypoints.http.app import create_app
from tests.integration.api.apps import MODES, ClerkApp, build, clerk_app, clerk_settings, session
from tests.support.clerk_payloads import membership_data, user_data
from tests.support.fakes import ManualClock
from tests.unit.http.conftest import assert_problem

pytestmark = pytest.mark.integration

PROJECT = {"title": "Grid storage", "brief": "Batteries, policy and prices"}
CONSTRAINT_PREFIXES = ("fk_", "uq_", "pk_", "ck_", "ix_")


@pytest.fixture(params=MODES)
def api(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ClerkApp]:
    yield from clerk_app(request.param, request, clock)


def _rows(container: Container, org: str, user: str) -> tuple[Any, Any, Any]:
    with container.adapters.uow_factory()(org) as uow:
        return uow.organizations.get(), uow.users.get(user), uow.memberships.get_for_user(user)


def _projects(container: Container, org: str) -> int:
    with container.adapters.uow_factory()(org) as uow:
        return len(uow.projects.list(100))


def _no_constraint_names(body: dict[str, Any]) -> None:
    text = str(body)
    assert not any(prefix in text for prefix in CONSTRAINT_PREFIXES), body


def test_the_first_request_after_sign_up_creates_the_session_rows(api: ClerkApp) -> None:
    response = api.as_("user_new", "org_new").post("/v1/projects", json=PROJECT)
    assert response.status_code == 201, response.get_data(as_text=True)
    organization, user, membership = _rows(api.container, "org_new", "user_new")
    assert organization is not None and organization.deleted_at is None
    assert user is not None and user.deleted_at is None
    assert membership is not None and membership.role.value == "admin"
    with api.container.adapters.uow_factory()("org_new") as uow:
        assert [e.action for e in uow.audit_log.list(resource_id="user_new")] == [
            "membership.create"
        ]
    me = api.as_("user_new", "org_new").get("/v1/me").get_json()
    # What only the webhooks know is still unknown, not an empty string.
    assert (me["user"]["email"], me["user"]["name"], me["organization"]["name"]) == (
        None,
        None,
        None,
    )


def test_the_webhooks_fill_in_the_rest_later(api: ClerkApp) -> None:
    caller = api.as_("user_ada", "org_acme", "member")
    assert caller.get("/v1/projects").status_code == 200
    api.webhook("user.created", user_data())
    api.webhook("organization.created", {"id": "org_acme", "name": "Acme"})
    api.webhook("organizationMembership.created", membership_data("org:member"))
    me = caller.get("/v1/me").get_json()
    assert (me["user"]["email"], me["organization"]["name"]) == ("ada@example.org", "Acme")
    with api.container.adapters.uow_factory()("org_acme") as uow:
        assert len([e for e in uow.audit_log.list() if e.action == "membership.create"]) == 1


def test_an_admitted_session_costs_no_extra_unit_of_work(request: pytest.FixtureRequest) -> None:
    """Only the first request of a session in a process checks its rows."""
    container = build(clerk_settings("memory"))
    opened: list[str] = []
    inner: StorageFactory = container.adapters.uow_factory()

    def counting(organization_id: str) -> StorageUnitOfWork:
        opened.append(organization_id)
        return inner(organization_id)

    container.adapters.uow_factory.override(providers.Object(counting))
    client = create_app(container).test_client()
    request.addfinalizer(container.unwire)
    headers = session("user_new", "org_new")
    assert client.get("/v1/projects", headers=headers).status_code == 200
    first = len(opened)
    for _ in range(5):
        assert client.get("/v1/projects", headers=headers).status_code == 200
    assert first == 2  # the admission, then the listing
    assert len(opened) - first == 5  # the listing alone, each time


def test_a_deleted_organization_is_not_resurrected(api: ClerkApp) -> None:
    api.webhook("organizationMembership.created", membership_data())
    api.webhook("organization.deleted", {"id": "org_acme", "deleted": True})
    caller = api.as_("user_ada", "org_acme")
    for response in (caller.get("/v1/projects"), caller.post("/v1/projects", json=PROJECT)):
        body = assert_problem(response, 403, "forbidden")
        assert "deleted" in body["detail"]
    organization, _, _ = _rows(api.container, "org_acme", "user_ada")
    assert organization is not None and organization.deleted_at is not None
    assert _projects(api.container, "org_acme") == 0


def test_an_organization_deleted_before_any_row_existed_stays_deleted(api: ClerkApp) -> None:
    api.webhook("organization.deleted", {"id": "org_gone", "deleted": True})
    assert_problem(api.as_("user_new", "org_gone").get("/v1/me"), 403, "forbidden")
    _, user, membership = _rows(api.container, "org_gone", "user_new")
    assert (user, membership) == (None, None)


def test_a_deleted_user_is_401_and_not_resurrected(api: ClerkApp) -> None:
    api.webhook("organizationMembership.created", membership_data())
    api.webhook("user.deleted", {"id": "user_ada", "deleted": True})
    assert_problem(api.as_("user_ada", "org_acme").get("/v1/me"), 401, "unauthenticated")
    api.webhook("user.deleted", {"id": "user_never_seen", "deleted": True})
    assert_problem(api.as_("user_never_seen", "org_acme").get("/v1/me"), 401, "unauthenticated")
    _, user, _ = _rows(api.container, "org_acme", "user_never_seen")
    assert user is not None and user.deleted_at is not None


def test_a_removed_membership_is_not_recreated_until_clerk_adds_it_again(api: ClerkApp) -> None:
    api.webhook("organizationMembership.created", membership_data())
    api.webhook("organizationMembership.deleted", membership_data())
    caller = api.as_("user_ada", "org_acme")
    body = assert_problem(caller.post("/v1/projects", json=PROJECT), 403, "forbidden")
    assert "no longer a member" in body["detail"]
    assert _rows(api.container, "org_acme", "user_ada")[2] is None
    assert _projects(api.container, "org_acme") == 0
    api.webhook("organizationMembership.created", membership_data())
    assert caller.post("/v1/projects", json=PROJECT).status_code == 201


def test_a_deletion_by_webhook_in_this_process_is_seen_at_once(api: ClerkApp) -> None:
    caller = api.as_("user_new", "org_new")
    assert caller.get("/v1/projects").status_code == 200
    api.webhook("organization.deleted", {"id": "org_new", "deleted": True})
    assert_problem(caller.get("/v1/projects"), 403, "forbidden")


def test_a_deletion_elsewhere_is_seen_within_the_recheck_interval(
    api: ClerkApp, clock: ManualClock
) -> None:
    """Another process applied it: this one re-checks a session after 30 seconds."""
    caller = api.as_("user_new", "org_new")
    assert caller.get("/v1/projects").status_code == 200
    api.container.identity.apply_identity_change()(DeleteOrganizationCommand("org_new"))
    assert caller.get("/v1/projects").status_code == 200
    clock.advance(timedelta(seconds=31))
    assert_problem(caller.get("/v1/projects"), 403, "forbidden")


def test_concurrent_first_requests_create_the_rows_once(api: ClerkApp) -> None:
    start = threading.Barrier(20)
    answers: list[tuple[int, dict[str, Any]]] = []

    def first_request() -> None:
        client = api.app.test_client()
        start.wait(10)
        response = client.post(
            "/v1/projects", json=PROJECT, headers=session("user_rush", "org_rush")
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=first_request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for _, body in answers:
        _no_constraint_names(body)
    assert [status for status, _ in answers] == [201] * 20
    with api.container.adapters.uow_factory()("org_rush") as uow:
        assert uow.memberships.get_for_user("user_rush") is not None
        creations = [e for e in uow.audit_log.list() if e.action == "membership.create"]
    assert len(creations) == 1
    assert _projects(api.container, "org_rush") == 20
