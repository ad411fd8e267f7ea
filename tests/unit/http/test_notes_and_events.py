"""Planning notes and events over HTTP."""

from __future__ import annotations

from manyfutures.container import Container
from tests.unit.http.conftest import Api, assert_problem, create_project


def test_add_list_filter_and_archive_notes(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}/planning-notes"
    first = api.post(path, json={"note": "  More on regulation  "})
    assert first.status_code == 201
    note = first.get_json()
    assert (note["note"], note["status"], note["authorId"]) == (
        "More on regulation",
        "pending",
        "user_a",
    )
    second = api.post(path, json={"note": "Less jargon"}).get_json()

    archived = api.patch(f"/v1/planning-notes/{note['id']}", json={"status": "archived"})
    assert archived.status_code == 200
    assert archived.get_json()["status"] == "archived"
    assert archived.get_json()["processedAt"] is not None

    all_notes = api.get(path).get_json()["items"]
    assert [n["id"] for n in all_notes] == [note["id"], second["id"]]
    pending = api.get(f"{path}?status=pending").get_json()["items"]
    assert [n["id"] for n in pending] == [second["id"]]
    assert_problem(api.get(f"{path}?status=lost"), 422, "validation-error")
    assert_problem(
        api.patch(f"/v1/planning-notes/{note['id']}", json={"status": "archived"}),
        409,
        "state-conflict",
    )


def test_note_validation(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}/planning-notes"
    assert (
        "note"
        in assert_problem(api.post(path, json={"note": ""}), 422, "validation-error")["errors"]
    )
    assert_problem(api.post(path, json={"note": "   "}), 422, "validation-error")
    assert_problem(api.post(path, json={"note": "x" * 2001}), 422, "validation-error")
    assert_problem(api.post(path, json={}), 422, "validation-error")
    note = api.post(path, json={"note": "ok"}).get_json()
    body = assert_problem(
        api.patch(f"/v1/planning-notes/{note['id']}", json={"status": "pending"}),
        422,
        "validation-error",
    )
    assert "status" in body["errors"]
    assert api.get(path).get_json()["items"][0]["status"] == "pending"


def test_only_the_author_or_an_admin_archives(api: Api, member: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}/planning-notes"
    admins_note = api.post(path, json={"note": "by admin"}).get_json()
    members_note = member.post(path, json={"note": "by member"}).get_json()

    assert_problem(
        member.patch(f"/v1/planning-notes/{admins_note['id']}", json={"status": "archived"}),
        403,
        "forbidden",
    )
    assert (
        member.patch(
            f"/v1/planning-notes/{members_note['id']}", json={"status": "archived"}
        ).status_code
        == 200
    )
    assert (
        api.patch(
            f"/v1/planning-notes/{admins_note['id']}", json={"status": "archived"}
        ).status_code
        == 200
    )


def test_another_organizations_note_is_404(api: Api, other_org: Api) -> None:
    project = create_project(api)
    note = api.post(f"/v1/projects/{project['id']}/planning-notes", json={"note": "n"}).get_json()
    assert_problem(
        other_org.patch(f"/v1/planning-notes/{note['id']}", json={"status": "archived"}),
        404,
        "not-found",
    )


def test_track_event(api: Api, container: Container) -> None:
    response = api.post(
        "/v1/events", json={"eventType": "share_clicked", "eventData": {"episodeId": "ep_1"}}
    )
    assert response.status_code == 201
    event = response.get_json()
    assert (event["eventType"], event["eventData"]) == ("share_clicked", {"episodeId": "ep_1"})
    with container.adapters.uow_factory()("org_a") as uow:
        assert [e.event_type for e in uow.events.list("share_clicked")] == ["share_clicked"]
    defaulted = api.post("/v1/events", json={"eventType": "app_started"})
    assert defaulted.get_json()["eventData"] == {}


def test_event_validation(api: Api, container: Container) -> None:
    for bad in ("Episode", "ab", "1abc", "a" * 65, "with-dash"):
        body = assert_problem(
            api.post("/v1/events", json={"eventType": bad}), 422, "validation-error"
        )
        assert "eventType" in body["errors"]
    # {"blob":"…"} is 11 bytes of JSON around the value: this is exactly 8 KiB.
    at_limit = {"eventType": "big_one", "eventData": {"blob": "x" * (8 * 1024 - 11)}}
    assert api.post("/v1/events", json=at_limit).status_code == 201
    too_big = {"eventType": "big_one", "eventData": {"blob": "x" * (8 * 1024)}}
    body = assert_problem(api.post("/v1/events", json=too_big), 422, "validation-error")
    assert "eventData" in body["errors"]
    assert_problem(
        api.post("/v1/events", json={"eventType": "ok_event", "eventData": [1]}),
        422,
        "validation-error",
    )
    with container.adapters.uow_factory()("org_a") as uow:
        assert [e.event_type for e in uow.events.list()] == ["big_one"]  # only the one at 8 KiB
