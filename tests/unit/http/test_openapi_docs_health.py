"""The OpenAPI document, the offline docs page, health and readiness."""

from __future__ import annotations

import re

from dependency_injector import providers
from flask import Flask
from openapi_spec_validator import validate
from tzdata import IANA_VERSION as TZDATA_VERSION

from manyfutures.adapters.readiness import CallableProbe
from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app
from manyfutures.entrypoints.http.docs import publish_spec
from tests.unit.http.conftest import Api, assert_problem, build_test_container


def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_route_is_documented(app: Flask, api: Api) -> None:
    spec = api.client.get("/openapi.json").get_json()
    documented = {
        (re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    routed = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/v1/", "/webhooks/", "/unsubscribe/", "/healthz", "/readyz"))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routed == documented
    assert len(routed) >= 22


def test_bodies_reject_unknown_fields_in_the_document_too(api: Api) -> None:
    schemas = api.client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ProjectCreate"]["additionalProperties"] is False
    assert set(schemas["ProjectCreate"]["required"]) == {"title", "brief"}
    assert schemas["Project"]["properties"]["nextScheduledAt"]["type"] == ["string", "null"]
    assert schemas["Organization"]["properties"]["dailyCostLimitGbp"]["type"] == "string"


def test_posts_document_idempotency_and_errors(api: Api) -> None:
    create = api.client.get("/openapi.json").get_json()["paths"]["/v1/projects"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert {"201", "400", "401", "403", "413", "415", "422", "429", "default"} <= set(
        create["responses"]
    )
    problem = create["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


def test_docs_page_works_offline(api: Api) -> None:
    page = api.client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/docs/"), f"{asset} would need the network"
        assert api.client.get(asset).status_code == 200
    assert api.client.get("/docs").status_code in (200, 301, 308)


def test_healthz_and_readyz_in_memory_mode(api: Api) -> None:
    assert api.client.get("/healthz").get_json() == {"status": "ok"}
    assert api.client.get("/readyz").get_json() == {
        "status": "ready",
        "checks": {},
        "tzdataVersion": TZDATA_VERSION,
    }


def test_readyz_is_503_when_a_dependency_is_down(container: Container) -> None:
    def refuse() -> None:
        raise ConnectionError("connection refused")

    container.http.readiness_probes.override(
        providers.Object([CallableProbe("database", lambda: None), CallableProbe("redis", refuse)])
    )
    client = create_app(container).test_client()
    response = client.get("/readyz")
    body = assert_problem(response, 503, "not-ready")
    assert body["checks"] == {"database": "ok", "redis": "unavailable: ConnectionError"}
    assert "redis" in body["detail"]
    assert body["tzdataVersion"] == TZDATA_VERSION


def test_the_documented_idempotency_key_is_what_the_server_accepts(api: Api) -> None:
    """Found by schemathesis: the document allowed any 1-255 characters, the server
    accepts visible ASCII only, so a documented key was refused with 422."""
    create = api.client.get("/openapi.json").get_json()["paths"]["/v1/projects"]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    pattern = header["schema"]["pattern"]
    for key in ("a", "3f1c9a", "~" * 255, "key-with:punctuation!"):
        assert re.search(pattern, key), key
        response = api.post(
            "/v1/events", json={"eventType": "opened"}, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201, response.get_json()
    for key in ("clé", "with space", "tab\tkey", "k" * 256):
        assert not re.search(pattern, key), key


def test_apps_with_the_same_routes_share_one_built_document(app: Flask) -> None:
    """Built once per process for the same routes (the suite makes an app per test)."""
    again = create_app(build_test_container())
    assert again.extensions["openapi"] is app.extensions["openapi"]


def test_an_app_with_other_routes_gets_a_document_of_its_own(app: Flask) -> None:
    other = Flask("other")
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            other.add_url_rule(
                rule.rule, rule.endpoint, app.view_functions[rule.endpoint], methods=rule.methods
            )
    other.add_url_rule(
        "/v1/projects-again",
        "projects_again",
        app.view_functions["v1.projects.list_projects"],
        methods=["GET"],
    )
    publish_spec(other)
    assert other.extensions["openapi"] is not app.extensions["openapi"]
    assert set(other.extensions["openapi"]["paths"]) == {
        *app.extensions["openapi"]["paths"],
        "/v1/projects-again",
    }
