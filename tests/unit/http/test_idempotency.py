"""Idempotency-Key on POSTs: replays, mismatches, expiry, and failures that free the key."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from dependency_injector import providers
from flask import Flask

from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from tests.support.fakes import ManualClock
from tests.unit.http.conftest import Api, StoreThatCannotComplete, assert_problem

BODY = {"title": "Future of energy", "brief": "Grid storage"}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def project_count(api: Api) -> int:
    return len(api.get("/v1/projects").get_json()["items"])


def test_a_replay_returns_the_original_response_and_creates_nothing(api: Api) -> None:
    first = api.post("/v1/projects", json=BODY, headers=key("create-1"))
    again = api.post("/v1/projects", json=BODY, headers=key("create-1"))

    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert project_count(api) == 1


def test_key_order_and_spacing_do_not_change_the_fingerprint(api: Api) -> None:
    api.post(
        "/v1/projects",
        data='{"title":"A","brief":"B"}',
        content_type="application/json",
        headers=key("k"),
    )
    replay = api.post(
        "/v1/projects",
        data='{ "brief": "B", "title": "A" }',
        content_type="application/json",
        headers=key("k"),
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert project_count(api) == 1


def test_same_key_with_a_different_body_is_422(api: Api) -> None:
    api.post("/v1/projects", json=BODY, headers=key("k"))
    response = api.post("/v1/projects", json={**BODY, "title": "Other"}, headers=key("k"))
    assert_problem(response, 422, "idempotency-key-reused")
    other_route = api.post("/v1/events", json={"eventType": "app_started"}, headers=key("k"))
    assert_problem(other_route, 422, "idempotency-key-reused")
    assert project_count(api) == 1


def test_keys_are_scoped_to_the_caller(api: Api, member: Api, other_org: Api) -> None:
    assert api.post("/v1/projects", json=BODY, headers=key("shared")).status_code == 201
    mine = member.post("/v1/projects", json=BODY, headers=key("shared"))
    assert mine.status_code == 201
    assert "Idempotent-Replayed" not in mine.headers
    assert other_org.post("/v1/projects", json=BODY, headers=key("shared")).status_code == 201
    assert project_count(api) == 2


def test_replays_expire_after_24_hours(api: Api, clock: ManualClock) -> None:
    api.post("/v1/projects", json=BODY, headers=key("daily"))
    clock.advance(timedelta(hours=23, minutes=59))
    assert api.post("/v1/projects", json=BODY, headers=key("daily")).headers.get(
        "Idempotent-Replayed"
    )
    clock.advance(timedelta(minutes=2))
    fresh = api.post("/v1/projects", json=BODY, headers=key("daily"))
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert project_count(api) == 2


def test_a_failed_request_frees_its_key_for_the_corrected_retry(api: Api) -> None:
    rejected = api.post("/v1/projects", json={"title": ""}, headers=key("fixme"))
    assert_problem(rejected, 422, "validation-error")
    fixed = api.post("/v1/projects", json=BODY, headers=key("fixme"))
    assert fixed.status_code == 201
    assert project_count(api) == 1


def test_a_store_failure_after_the_commit_still_answers_the_2xx(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    failing = StoreThatCannotComplete(container.http.idempotency_store())
    container.http.idempotency_store.override(providers.Object(failing))
    api = Api(create_app(container).test_client())

    response = api.post("/v1/projects", json=BODY, headers=key("committed"))

    assert response.status_code == 201
    assert project_count(api) == 1
    assert "redis went away" in caplog.text


def test_a_request_still_running_makes_the_replay_wait(api: Api, container: Container) -> None:
    from manyfutures.entrypoints.http import idempotency

    with api.client.application.test_request_context(
        "/v1/projects", method="POST", json=BODY, headers=api.headers()
    ):
        fingerprint = idempotency.fingerprint()
    container.http.idempotency_store().claim("org_a:user_a:busy", fingerprint)
    response = api.post("/v1/projects", json=BODY, headers=key("busy"))
    assert_problem(response, 409, "idempotency-in-progress")
    assert response.headers["Retry-After"] == "1"
    assert project_count(api) == 0


def test_invalid_keys_are_rejected(api: Api) -> None:
    for bad in ("", "x" * 256, "has space", "tab\tkey"):
        body = assert_problem(
            api.post("/v1/projects", json=BODY, headers=key(bad)), 422, "validation-error"
        )
        assert "Idempotency-Key" in body["errors"]
    assert project_count(api) == 0


def test_generate_now_replay_creates_one_episode(api: Api) -> None:
    project = api.post("/v1/projects", json=BODY).get_json()
    path = f"/v1/projects/{project['id']}/episodes"
    first = api.post(path, headers=key("gen"))
    second = api.post(path, headers=key("gen"))
    assert first.status_code == second.status_code == 202
    assert first.get_json()["id"] == second.get_json()["id"]
    episodes = api.get(path).get_json()["items"]
    assert [e["id"] for e in episodes].count(first.get_json()["id"]) == 1


def test_the_body_is_parsed_once_for_the_fingerprint_and_the_handler(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(BODY).encode()
    parses: list[object] = []
    original = json.loads

    def counting(raw: object, **options: object) -> object:
        if raw == body.decode():  # the loader decodes (strict UTF-8) before parsing
            parses.append(raw)
        return original(raw, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(json, "loads", counting)
    response = api.post(
        "/v1/projects", data=body, content_type="application/json", headers=key("once")
    )
    assert response.status_code == 201
    assert len(parses) == 1


def test_malformed_json_with_a_key_is_still_400_and_frees_the_key(api: Api) -> None:
    bad = api.post("/v1/projects", data="{", content_type="application/json", headers=key("m"))
    assert_problem(bad, 400, "malformed-json")
    good = api.post("/v1/projects", json=BODY, headers=key("m"))
    assert good.status_code == 201


def test_each_request_reads_its_own_body_inside_a_shared_app_context(app: Flask, api: Api) -> None:
    """Flask reuses an open app context (and its ``g``) for every request pushed in it."""
    with app.app_context():
        first = api.post("/v1/projects", json=BODY, headers=key("a"))
        second = api.post("/v1/projects", json={**BODY, "title": "Second"}, headers=key("b"))
    assert first.get_json()["title"] == BODY["title"]
    assert second.get_json()["title"] == "Second"
