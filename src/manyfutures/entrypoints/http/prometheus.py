"""``GET /metrics``: the Prometheus exposition, for a scraper holding MANYFUTURES_METRICS_TOKEN.

Not part of the API (left out of the OpenAPI document, like ``/docs``): without the
setting it does not exist (404), and with it a scrape must send the token as a bearer
credential, compared in constant time. In multiprocess mode it reads every process's
files in PROMETHEUS_MULTIPROC_DIR (adapters/metrics/exposition.py).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from manyfutures.adapters.metrics.exposition import scrape
from manyfutures.entrypoints.http.problems import problem


def metrics_blueprint(token: str, metrics_dir: str) -> Blueprint:
    blueprint = Blueprint("prometheus", __name__)
    expected = f"Bearer {token}".encode()

    @blueprint.get("/metrics")
    def metrics() -> Response:
        if not token:
            abort(404)
        offered = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(offered, expected):
            return problem(
                401, "unauthenticated", "Authentication required", "send the metrics bearer token"
            )
        body, content_type = scrape(metrics_dir)
        return Response(body, content_type=content_type)

    return blueprint
