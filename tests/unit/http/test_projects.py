"""Projects over HTTP: CRUD, ETags, pause/resume, generate-now, paging, tenancy."""

from __future__ import annotations

from manyfutures.container import Container
from manyfutures.core.identity.set_plan import SetPlanCommand
from tests.unit.http.conftest import Api, assert_problem, create_project


def test_create_then_read_uses_defaults_and_the_users_time_zone(api: Api) -> None:
    created = create_project(api)

    assert created["status"] == "ACTIVE"
    assert created["cadence"] == {"mode": "weekly", "days": [1]}
    assert created["deliveryTime"] == "09:00"
    assert created["timezone"] == "Europe/Paris"  # user_a's zone, not the server default
    assert created["version"] == 1
    read = api.get(f"/v1/projects/{created['id']}")
    assert read.status_code == 200
    assert read.get_json() == created
    assert read.headers["ETag"] == '"v1"'


def test_create_answers_201_with_location_and_etag(api: Api) -> None:
    response = api.post(
        "/v1/projects",
        json={
            "title": "Cities",
            "brief": "Urban futures",
            "cadence": {"mode": "custom", "days": [2, 4]},
            "deliveryTime": "07:30",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/projects/{body['id']}"
    assert response.headers["ETag"] == '"v1"'
    assert body["cadence"] == {"mode": "custom", "days": [2, 4]}
    assert (body["deliveryTime"], body["timezone"]) == ("07:30", "America/New_York")


def test_validation_errors_name_every_bad_field_and_write_nothing(api: Api) -> None:
    response = api.post(
        "/v1/projects",
        json={"title": "", "brief": "x", "cadence": {"mode": "yearly"}, "deliveryTime": "25:00"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert {"title", "cadence.mode", "deliveryTime"} <= set(body["errors"])
    assert api.get("/v1/projects").get_json()["items"] == []


def test_domain_rules_come_back_as_field_errors(api: Api) -> None:
    response = api.post(
        "/v1/projects",
        json={
            "title": "   ",
            "brief": "ok",
            "cadence": {"mode": "weekly", "days": [1, 2]},
        },
    )
    body = assert_problem(response, 422, "validation-error")
    assert {"title", "days"} <= set(body["errors"])
    zone = api.post("/v1/projects", json={"title": "t", "brief": "b", "timezone": "Mars/Olympus"})
    assert "timezone" in assert_problem(zone, 422, "validation-error")["errors"]
    assert api.get("/v1/projects").get_json()["items"] == []


def test_unknown_fields_are_rejected(api: Api) -> None:
    body = assert_problem(
        api.post("/v1/projects", json={"title": "t", "brief": "b", "owner": "me"}),
        422,
        "validation-error",
    )
    assert body["errors"] == {"owner": ["Unknown field."]}


def test_list_is_newest_first_with_a_cursor(api: Api) -> None:
    ids = [create_project(api, title=f"P{i}")["id"] for i in range(5)]

    first = api.get("/v1/projects?limit=2").get_json()
    assert [p["id"] for p in first["items"]] == ids[::-1][:2]
    second = api.get(f"/v1/projects?limit=2&cursor={first['nextCursor']}").get_json()
    assert [p["id"] for p in second["items"]] == ids[::-1][2:4]
    last = api.get(f"/v1/projects?limit=2&cursor={second['nextCursor']}").get_json()
    assert [p["id"] for p in last["items"]] == ids[:1]
    assert last["nextCursor"] is None


def test_page_size_is_capped_at_100(api: Api) -> None:
    assert api.get("/v1/projects?limit=100").status_code == 200
    body = assert_problem(api.get("/v1/projects?limit=101"), 422, "validation-error")
    assert "limit" in body["errors"]
    assert_problem(api.get("/v1/projects?limit=0"), 422, "validation-error")
    assert_problem(api.get("/v1/projects?limit=ten"), 422, "validation-error")
    assert_problem(api.get("/v1/projects?sort=name"), 422, "validation-error")


def test_patch_with_matching_if_match_updates_and_bumps_the_etag(api: Api) -> None:
    project = create_project(api)
    response = api.patch(
        f"/v1/projects/{project['id']}",
        json={"title": "Energy 2030", "cadence": {"mode": "daily"}},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Energy 2030"
    assert body["cadence"]["mode"] == "daily"
    assert body["version"] == 2
    assert response.headers["ETag"] == '"v2"'


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(api: Api) -> None:
    project = create_project(api)
    api.patch(f"/v1/projects/{project['id']}", json={"title": "Second"})

    for stale in ('"v1"', 'W/"v2"', '"garbage"', '"v1", "v2"'):
        response = api.patch(
            f"/v1/projects/{project['id']}",
            json={"title": "Lost update"},
            headers={"If-Match": stale},
        )
        assert_problem(response, 412, "version-mismatch")
    assert api.get(f"/v1/projects/{project['id']}").get_json()["title"] == "Second"


def test_patch_without_if_match_or_with_star_applies(api: Api) -> None:
    project = create_project(api)
    assert api.patch(f"/v1/projects/{project['id']}", json={"brief": "New"}).status_code == 200
    response = api.patch(
        f"/v1/projects/{project['id']}", json={"brief": "Newer"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 200
    assert response.get_json()["brief"] == "Newer"


def test_pause_resume_and_state_conflicts(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"

    paused = api.post(f"{path}/pause")
    assert paused.status_code == 200
    assert paused.get_json()["status"] == "PAUSED"
    assert paused.get_json()["nextScheduledAt"] is None
    assert_problem(api.post(f"{path}/pause"), 409, "state-conflict")
    assert_problem(api.post(f"{path}/episodes"), 409, "state-conflict")

    resumed = api.post(f"{path}/resume")
    assert resumed.status_code == 200
    assert resumed.get_json()["status"] == "ACTIVE"
    assert resumed.get_json()["nextScheduledAt"] is not None
    assert_problem(api.post(f"{path}/resume"), 409, "state-conflict")


def test_pause_honours_if_match(api: Api) -> None:
    project = create_project(api)
    response = api.post(f"/v1/projects/{project['id']}/pause", headers={"If-Match": '"v7"'})
    assert_problem(response, 412, "version-mismatch")
    assert api.get(f"/v1/projects/{project['id']}").get_json()["status"] == "ACTIVE"


def test_resume_with_a_stale_etag_is_412_and_changes_nothing(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    paused = api.post(f"{path}/pause").get_json()

    assert_problem(
        api.post(f"{path}/resume", headers={"If-Match": '"v1"'}), 412, "version-mismatch"
    )
    after = api.get(path).get_json()
    assert (after["status"], after["version"]) == ("PAUSED", paused["version"])
    current = {"If-Match": f'"v{paused["version"]}"'}
    assert api.post(f"{path}/resume", headers=current).get_json()["status"] == "ACTIVE"


def test_delete_with_a_stale_etag_is_412_and_deletes_nothing(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    api.patch(path, json={"title": "Second"})

    assert_problem(api.delete(path, headers={"If-Match": '"v1"'}), 412, "version-mismatch")
    assert api.get(path).get_json()["title"] == "Second"
    assert api.delete(path, headers={"If-Match": '"v2"'}).status_code == 204


def test_delete_is_soft_and_then_404(api: Api, container: Container) -> None:
    project = create_project(api)
    response = api.delete(f"/v1/projects/{project['id']}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(api.get(f"/v1/projects/{project['id']}"), 404, "not-found")
    assert api.get("/v1/projects").get_json()["items"] == []
    # Kept for audit: the row is still in storage, marked deleted.
    stored = container.adapters.memory_store().tables["projects"][project["id"]]
    assert stored.deleted_at is not None


def test_generate_now_answers_202_with_a_draft_episode(api: Api) -> None:
    project = create_project(api)
    response = api.post(f"/v1/projects/{project['id']}/episodes")
    assert response.status_code == 202
    episode = response.get_json()
    assert episode["status"] == "DRAFT"
    assert episode["projectId"] == project["id"]
    assert response.headers["Location"] == f"/v1/episodes/{episode['id']}/status"
    listed = api.get(f"/v1/projects/{project['id']}/episodes").get_json()["items"]
    assert episode["id"] in [e["id"] for e in listed]


def test_another_organizations_project_is_404_everywhere(api: Api, other_org: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    for response in (
        other_org.get(path),
        other_org.patch(path, json={"title": "Mine now"}),
        other_org.delete(path),
        other_org.post(f"{path}/pause"),
        other_org.post(f"{path}/resume"),
        other_org.post(f"{path}/episodes"),
        other_org.get(f"{path}/episodes"),
        other_org.get(f"{path}/planning-notes"),
        other_org.post(f"{path}/planning-notes", json={"note": "hi"}),
    ):
        assert_problem(response, 404, "not-found")
    assert other_org.get("/v1/projects").get_json()["items"] == []
    unchanged = api.get(path).get_json()
    assert unchanged == project


def test_past_the_plans_active_projects_create_and_resume_are_403(
    api: Api, member: Api, container: Container
) -> None:
    container.identity.set_plan()(SetPlanCommand("org_a", max_active_projects=1))
    paused = create_project(api, title="Paused")
    assert api.post(f"/v1/projects/{paused['id']}/pause").status_code == 200
    create_project(member, title="Active")
    for response in (
        member.post("/v1/projects", json={"title": "One more", "brief": "b"}),
        api.post(f"/v1/projects/{paused['id']}/resume"),
    ):
        problem = assert_problem(response, 403, "plan-active-project-limit")
        assert (problem["maxActiveProjects"], problem["activeProjects"]) == (1, 1)
        assert "pause or delete one first" in problem["detail"]
    assert len(api.get("/v1/projects").get_json()["items"]) == 2
