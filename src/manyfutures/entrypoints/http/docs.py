"""``GET /openapi.json`` and the ``/docs`` page.

Swagger UI's JavaScript and CSS come from the flask-swagger-ui wheel and are served
by this app, so the docs page works with no network access (no CDN).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app
from flask_swagger_ui import get_swaggerui_blueprint

from manyfutures.entrypoints.http.openapi import build_spec

blueprint = Blueprint("openapi", __name__)
DOCS_URL = "/docs"
SPEC_URL = "/openapi.json"


@blueprint.get(SPEC_URL)
def openapi_json() -> dict[str, Any]:
    spec: dict[str, Any] = current_app.extensions["openapi"]
    return spec


def register_docs(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_blueprint(
        get_swaggerui_blueprint(
            DOCS_URL,
            SPEC_URL,
            config={"app_name": "Many Futures API", "persistAuthorization": True},
            blueprint_name="docs",
        )
    )


# The documents built in this process, by the routes they describe.
_BUILT: dict[tuple[tuple[str, str, tuple[str, ...], int], ...], dict[str, Any]] = {}


def publish_spec(app: Flask) -> None:
    """Build once, after every route is registered, and once per process for the same
    routes: walking every schema through apispec costs about 0.1 s, and the test suite
    makes an app per test. Apps with the same routes (each with the same ``@operation``
    record) share one document, which nothing changes after it is built."""
    routes = tuple(
        sorted(
            (
                rule.rule,
                rule.endpoint,
                tuple(sorted(rule.methods or ())),
                id(getattr(app.view_functions[rule.endpoint], "__openapi__", None)),
            )
            for rule in app.url_map.iter_rules()
        )
    )
    spec = _BUILT.get(routes)
    if spec is None:
        spec = _BUILT[routes] = build_spec(app)
    app.extensions["openapi"] = spec
