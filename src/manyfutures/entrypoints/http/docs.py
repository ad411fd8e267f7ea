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


def publish_spec(app: Flask) -> None:
    """Build once, after every route is registered."""
    app.extensions["openapi"] = build_spec(app)
