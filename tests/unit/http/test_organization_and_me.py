"""/me, the admin-only organization routes and the audit log."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.container import Container
from manyfutures.core.identity.set_plan import SetPlanCommand
from tests.support.fakes import ManualClock
from tests.unit.http.conftest import Api, assert_problem, create_project


def test_me_describes_user_organization_role_and_features(api: Api, member: Api) -> None:
    api.patch("/v1/organization", json={"enabledFeatures": ["chat"]})
    me = api.get("/v1/me")
    assert me.status_code == 200
    assert me.get_json() == {
        "user": {
            "id": "user_a",
            "email": "user_a@example.org",
            "name": "user_a",
            "timezone": "Europe/Paris",
        },
        "organization": {
            "id": "org_a",
            "name": "Org org_a",
            "enabledFeatures": ["chat"],
            "experimentalFeatures": [],
        },
        "role": "admin",
    }
    assert member.get("/v1/me").get_json()["role"] == "member"


def test_me_before_clerk_has_synced_the_user(api: Api) -> None:
    stranger = api.as_("user_new", "org_new", "member").get("/v1/me").get_json()
    assert stranger["user"] == {
        "id": "user_new",
        "email": None,
        "name": None,
        "timezone": "Europe/London",
    }
    assert stranger["organization"]["name"] is None


def test_no_credentials_is_401_and_no_active_organization_is_403(api: Api) -> None:
    response = api.client.get("/v1/me")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    no_org = api.client.get("/v1/me", headers={"X-Dev-User": "user_a"})
    body = assert_problem(no_org, 403, "forbidden")
    assert "no active organization" in body["detail"]


def test_admin_reads_and_updates_the_organization(api: Api, container: Container) -> None:
    assert api.get("/v1/organization").get_json()["dailyCostLimitGbp"] == "50.00"
    response = api.patch(
        "/v1/organization",
        json={
            "dailyCostLimitGbp": "12.5",
            "enabledFeatures": ["highlights", "chat"],
            "experimentalFeatures": [],
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["dailyCostLimitGbp"] == "12.50"
    assert body["enabledFeatures"] == ["chat", "highlights"]
    with container.adapters.uow_factory()("org_a") as uow:
        stored = uow.organizations.get()
        assert stored is not None
        assert str(stored.daily_cost_limit_gbp) == "12.50"
        audit = uow.audit_log.list(action="organization.update")
    assert len(audit) == 1
    assert audit[0].user_id == "user_a"
    assert '"dailyCostLimitGbp": "50.00"' in (audit[0].old_value or "")


def test_admins_read_the_plan_and_set_the_limit_up_to_its_ceiling(
    api: Api, container: Container
) -> None:
    create_project(api)
    paused = create_project(api, title="Paused")
    api.post(f"/v1/projects/{paused['id']}/pause")
    assert api.get("/v1/organization").get_json()["plan"] == {
        "maxActiveProjects": 10,
        "dailyLimitCeilingGbp": "500.00",
        "activeProjects": 1,
    }
    container.identity.set_plan()(SetPlanCommand("org_a", 3, "80.00"))
    at_ceiling = api.patch("/v1/organization", json={"dailyCostLimitGbp": "80"})
    assert at_ceiling.status_code == 200
    assert at_ceiling.get_json()["plan"] == {
        "maxActiveProjects": 3,
        "dailyLimitCeilingGbp": "80.00",
        "activeProjects": 1,
    }
    past = api.patch("/v1/organization", json={"dailyCostLimitGbp": "80.01"})
    errors = assert_problem(past, 422, "validation-error")["errors"]
    assert errors == {
        "dailyCostLimitGbp": [
            "dailyCostLimitGbp may be at most the plan's ceiling of 80.00; ask us to raise the "
            "ceiling"
        ]
    }
    assert api.get("/v1/organization").get_json()["dailyCostLimitGbp"] == "80.00"


def test_organization_validation(api: Api) -> None:
    for body, field in (
        ({"dailyCostLimitGbp": "-1"}, "dailyCostLimitGbp"),
        ({"dailyCostLimitGbp": "1.234"}, "dailyCostLimitGbp"),
        ({"dailyCostLimitGbp": 50}, "dailyCostLimitGbp"),
        ({"dailyCostLimitGbp": "NaN"}, "dailyCostLimitGbp"),
        ({"dailyCostLimitGbp": "999999.99"}, "dailyCostLimitGbp"),
        ({"enabledFeatures": ["time_travel"]}, "enabledFeatures.0"),
        # Known once, but gating nothing: dropped from the list (ADR 0018).
        ({"enabledFeatures": ["chat", "memories"]}, "enabledFeatures.1"),
        ({"experimentalFeatures": ["onboarding"]}, "experimentalFeatures.0"),
        ({"experimentalFeatures": ["notifications"]}, "experimentalFeatures.0"),
        ({"name": "Renamed"}, "name"),
    ):
        problem = assert_problem(api.patch("/v1/organization", json=body), 422, "validation-error")
        assert field in problem["errors"], (body, problem)
    assert api.get("/v1/organization").get_json()["dailyCostLimitGbp"] == "50.00"


def test_members_get_403_on_admin_routes(member: Api) -> None:
    for response in (
        member.get("/v1/organization"),
        member.patch("/v1/organization", json={"dailyCostLimitGbp": "1.00"}),
        member.get("/v1/audit-log"),
    ):
        body = assert_problem(response, 403, "forbidden")
        assert "admin" in body["detail"]


def test_audit_log_filters_and_pages(api: Api, clock: ManualClock) -> None:
    seeded = [row["action"] for row in api.get("/v1/audit-log").get_json()["items"]]
    # The tenant's two members, and the organization the first one's webhook created.
    assert seeded == ["membership.create", "membership.create", "organization.create"]
    first = create_project(api)
    clock.advance(timedelta(hours=1))
    second = create_project(api)
    clock.advance(timedelta(hours=1))
    api.patch(f"/v1/projects/{first['id']}", json={"title": "Renamed"})

    everything = api.get("/v1/audit-log").get_json()["items"]
    assert [row["action"] for row in everything] == [
        "project.update",
        "project.create",
        "project.create",
        *seeded,
    ]
    updates = api.get("/v1/audit-log?action=project.update").get_json()["items"]
    assert [row["resourceId"] for row in updates] == [first["id"]]
    about_second = api.get(f"/v1/audit-log?resourceId={second['id']}").get_json()["items"]
    assert [row["action"] for row in about_second] == ["project.create"]
    members = api.get("/v1/audit-log?resourceType=membership").get_json()["items"]
    assert [row["action"] for row in members] == ["membership.create", "membership.create"]
    projects = api.get("/v1/audit-log?resourceType=project&limit=2").get_json()["items"]
    assert [row["resourceType"] for row in projects] == ["project", "project"]

    start = clock.now() - timedelta(hours=1, minutes=30)
    window = api.get(
        "/v1/audit-log", query_string={"from": start.isoformat(), "to": (clock.now()).isoformat()}
    ).get_json()["items"]
    assert [row["resourceId"] for row in window] == [second["id"]]

    page = api.get("/v1/audit-log?limit=2").get_json()
    assert len(page["items"]) == 2
    rest = api.get(f"/v1/audit-log?limit=5&cursor={page['nextCursor']}").get_json()
    assert [row["action"] for row in rest["items"]] == ["project.create", *seeded]
    assert rest["items"][0]["resourceId"] == first["id"]
    assert rest["nextCursor"] is None


def test_audit_log_query_validation(api: Api) -> None:
    assert (
        "from"
        in assert_problem(api.get("/v1/audit-log?from=yesterday"), 422, "validation-error")[
            "errors"
        ]
    )
    naive = api.get("/v1/audit-log", query_string={"from": "2026-01-05T08:00:00"})
    assert_problem(naive, 422, "validation-error")
    backwards = api.get(
        "/v1/audit-log",
        query_string={"from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"},
    )
    assert_problem(backwards, 422, "validation-error")
    for unknown in ("widget", "Project", ""):
        problem = assert_problem(
            api.get("/v1/audit-log", query_string={"resourceType": unknown}),
            422,
            "validation-error",
        )
        assert "resourceType" in problem["errors"]


def test_audit_log_is_per_organization(api: Api, other_org: Api) -> None:
    project = create_project(api)
    theirs = other_org.get("/v1/audit-log").get_json()["items"]
    assert [row["action"] for row in theirs] == [
        "membership.create",
        "organization.create",
    ]  # their own
    assert project["id"] not in {row["resourceId"] for row in theirs}
