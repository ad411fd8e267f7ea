"""Requests that go wrong: every one is problem+json, none is a 500, none half-writes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from dependency_injector import providers
from flask import Flask, Response

from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from manyfutures.entrypoints.http.request_limits import MAX_HEADER_BYTES, header_bytes
from tests.unit.http.conftest import (
    TEST_SETTINGS,
    Api,
    assert_problem,
    build_test_container,
    seed_tenants,
)


def raw_post(
    api: Api, path: str, data: bytes | str, content_type: str = "application/json"
) -> object:
    return api.post(path, data=data, content_type=content_type)


def test_malformed_json_is_400(api: Api) -> None:
    for data in (
        b"{",
        b'{"title": }',
        b"\xff\xfe\x00",
        b'{"title": NaN, "brief": "b"}',
        b"[" * 100_000,
    ):
        body = assert_problem(
            api.post("/v1/projects", data=data, content_type="application/json"),
            400,
            "malformed-json",
        )
        assert "not valid JSON" in body["detail"]
    assert api.get("/v1/projects").get_json()["items"] == []


def test_json_that_is_not_an_object_is_422(api: Api) -> None:
    for data in ("[]", '"text"', "42", "null"):
        body = assert_problem(
            api.post("/v1/projects", data=data, content_type="application/json"),
            422,
            "validation-error",
        )
        assert body["errors"] == {"_body": ["the body must be a JSON object"]}


def test_non_json_body_is_415(api: Api) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = api.post("/v1/projects", data="title=x", content_type=content_type)
        assert_problem(response, 415, "unsupported-media-type")
    missing = api.client.post(
        "/v1/projects", data=b'{"title": "t", "brief": "b"}', headers=api.headers()
    )
    assert_problem(missing, 415, "unsupported-media-type")
    vendor = api.post(
        "/v1/projects",
        data=json.dumps({"title": "t", "brief": "b"}),
        content_type="application/vnd.api+json",
    )
    assert vendor.status_code == 201


def test_oversized_body_is_413() -> None:
    small = build_test_container(replace(TEST_SETTINGS, max_body_bytes=200))
    seed_tenants(small)
    api = Api(create_app(small).test_client())
    response = api.post("/v1/projects", json={"title": "t", "brief": "b" * 500})
    body = assert_problem(response, 413, "payload-too-large")
    assert body["status"] == 413
    assert api.get("/v1/projects").get_json()["items"] == []
    assert api.post("/v1/projects", json={"title": "t", "brief": "short"}).status_code == 201


def test_default_body_limit_is_one_mebibyte(app: Flask, api: Api) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    huge = {"eventType": "big_event", "eventData": {"x": "y" * (1024 * 1024)}}
    assert_problem(api.post("/v1/events", json=huge), 413, "payload-too-large")


def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = api.request("PUT", "/v1/projects")
    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    response = api.delete("/v1/me")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_unknown_routes_are_404_problems_even_without_credentials(api: Api) -> None:
    assert_problem(api.client.get("/v1/nothing-here"), 404, "not-found")
    assert_problem(api.client.get("/nowhere"), 404, "not-found")
    assert_problem(api.get("/v1/projects/a/b/c"), 404, "not-found")


def test_an_unexpected_exception_is_a_logged_500_problem(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    class Exploding:
        def __call__(self, *_: object) -> None:
            raise RuntimeError("database on fire")

    container.identity.get_me.override(providers.Object(Exploding()))
    api = Api(create_app(container).test_client())
    body = assert_problem(api.get("/v1/me"), 500, "internal-error")
    assert "database on fire" not in body["detail"]
    assert "database on fire" in caplog.text


def test_a_500_outside_a_view_is_the_same_problem_logged_once(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """Flask wraps it in InternalServerError, which is an HTTPException like a 404."""
    app = create_app(container)
    raised: list[bool] = []

    @app.after_request
    def explode_once(response: Response) -> Response:
        # Flask runs the hooks again on the error response; like idempotency's, this one
        # has nothing left to do the second time.
        if not raised:
            raised.append(True)
            raise RuntimeError("after the view")
        return response

    body = assert_problem(Api(app.test_client()).get("/v1/me"), 500, "internal-error")
    assert "after the view" not in body["detail"]
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1
    assert "after the view" in caplog.text


def test_rate_limit_is_per_user_across_routes() -> None:
    container = build_test_container(replace(TEST_SETTINGS, rate_limit="3 per minute"))
    seed_tenants(container)
    api = Api(create_app(container).test_client())
    assert api.get("/v1/me").status_code == 200
    assert api.get("/v1/projects").status_code == 200
    assert api.get("/v1/organization").status_code == 200
    limited = api.get("/v1/me")
    body = assert_problem(limited, 429, "rate-limited")
    assert "3 per 1 minute" in body["detail"]
    assert int(limited.headers["Retry-After"]) > 0
    # Another user, and the unauthenticated health check, are unaffected.
    assert api.as_("user_m", "org_a").get("/v1/me").status_code == 200
    assert api.client.get("/healthz").status_code == 200


def test_routes_outside_v1_cost_the_rate_limiter_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Webhooks (n8n calls back four times per episode) never reach the limiter."""
    container = build_test_container(replace(TEST_SETTINGS, rate_limit="1 per minute"))
    seed_tenants(container)
    app = create_app(container)
    limiter = container.http.rate_limiter()
    hits: list[str] = []
    hit = limiter.hit
    monkeypatch.setattr(limiter, "hit", lambda key: hits.append(key) or hit(key))
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.post("/webhooks/n8n/episodes", json={}).status_code == 401
    assert hits == []
    api = Api(client)
    assert api.get("/v1/me").status_code == 200
    assert_problem(api.get("/v1/me"), 429, "rate-limited")
    assert len(hits) == 2


def test_nul_characters_are_refused_before_any_write(api: Api) -> None:
    """PostgreSQL cannot store NUL; it must be a client error, never a 500."""
    body = assert_problem(
        api.post("/v1/projects", json={"title": "a\x00b", "brief": "b"}), 422, "validation-error"
    )
    assert body["errors"] == {"title": ["must not contain the NUL character"]}
    nested = assert_problem(
        api.post("/v1/events", json={"eventType": "opened", "eventData": {"k": ["x", "\x00"]}}),
        422,
        "validation-error",
    )
    assert list(nested["errors"]) == ["eventData.k.1"]
    assert_problem(api.get("/v1/projects/proj_%00"), 400, "bad-request")
    assert_problem(api.get("/v1/projects?cursor=%00"), 400, "bad-request")
    assert api.get("/v1/projects").get_json()["items"] == []


def test_headers_over_16_kib_in_total_are_a_431_problem_on_any_route(api: Api) -> None:
    filler = {"X-Filler": "f" * MAX_HEADER_BYTES}
    for path in ("/v1/me", "/healthz", "/nowhere"):
        body = assert_problem(api.get(path, headers=filler), 431, "headers-too-large")
        assert str(MAX_HEADER_BYTES) in body["detail"]
    assert api.get("/v1/me", headers={"X-Filler": "f" * (MAX_HEADER_BYTES // 2)}).status_code == 200


def test_header_bytes_count_each_field_as_sent() -> None:
    environ = {
        "HTTP_X_A": "bc",  # "X-A: bc\r\n"
        "CONTENT_TYPE": "x",  # "Content-Type: x\r\n"
        "PATH_INFO": "/" * 100,
        "wsgi.input": object(),
    }
    assert header_bytes(environ) == len("X-A: bc\r\n") + len("Content-Type: x\r\n")
