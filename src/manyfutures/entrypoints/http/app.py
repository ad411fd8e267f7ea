"""The Flask application factory: builds an app around an already-built container."""

from __future__ import annotations

from flask import Blueprint, Flask

from manyfutures.container import Container
from manyfutures.entrypoints.http import health, problems, projects
from manyfutures.entrypoints.http.auth import authenticate

API_BLUEPRINTS = (projects.blueprint,)
WIRED_MODULES = (projects,)


def create_app(container: Container) -> Flask:
    app = Flask("manyfutures")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["container"] = container
    container.wire(modules=list(WIRED_MODULES))
    problems.register_problem_handlers(app)

    api = Blueprint("v1", __name__, url_prefix="/v1")

    @api.before_request
    def _authenticate() -> None:
        authenticate(container.identity_verifier())

    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(api)
    app.register_blueprint(health.blueprint)
    return app
