"""Per request: its id (from ``X-Request-Id`` when sane, else a new one) bound for the log
lines it causes and echoed in the response, and its route, status and duration counted.

The cost is one context-variable set and reset, one clock read at each end and, when
metrics are on, one histogram observation: no I/O, no log line of its own (gunicorn's
access log, when on, carries the id from the response header).
"""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request

from manyfutures.adapters.metrics.prometheus import current_metrics
from manyfutures.log_context import bind, current, unbind

REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy or client's id may look like to be reused (UUIDs, trace ids, ULIDs);
# anything else (too long, spaces, control characters) is replaced, never logged.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Methods outside this set are counted as "other", so a caller cannot make label values.
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
UNMATCHED_ROUTE = "unmatched"


def request_id(header: str | None) -> str:
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def register_observability(app: Flask) -> None:
    """Registered before every other hook, so it runs even for a request they refuse."""
    metrics = current_metrics()

    @app.before_request
    def _begin() -> None:
        g.request_started = time.perf_counter()
        g.log_context = bind(request_id=request_id(request.headers.get(REQUEST_ID_HEADER)))

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current().get("request_id", "")
        if metrics is not None and "request_started" in g:
            route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
            method = request.method if request.method in _METHODS else "other"
            metrics.http_requests.labels(route, method, str(response.status_code)).observe(
                time.perf_counter() - g.request_started
            )
        return response

    @app.teardown_request
    def _end(error: BaseException | None) -> None:
        token = g.pop("log_context", None)
        if token is not None:
            unbind(token)  # and with it whatever was bound later in the request
