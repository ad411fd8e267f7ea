"""The OpenAPI 3.1 document, generated from the routes and the marshmallow schemas.

Each documented view carries an ``@operation(...)`` record; ``build_spec`` walks the
app's URL map, so every route that exists is documented from the same schemas that
validate its input and shape its output. A test asserts that every /v1 route has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from manyfutures.entrypoints.http.schemas import ProblemSchema

F = TypeVar("F", bound=Callable[..., Any])
OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

_DESCRIPTION = """\
Many Futures: scheduled, AI-written strategic intelligence briefs.

Every /v1 route acts in the caller's active organization. Authenticate with a Clerk
session token (`Authorization: Bearer …` or the `__session` cookie); in memory mode
the `X-Dev-User` / `X-Dev-Org` (/ `X-Dev-Role`) headers stand in for Clerk. Errors
are RFC 9457 `application/problem+json`; branch on `type`. Lists are cursor-paged:
pass the previous page's `nextCursor` as `?cursor=`. POSTs accept an
`Idempotency-Key`; a replay within 24 h returns the first response.
"""

_ERROR_TEXT = {
    400: "Malformed JSON, or a malformed If-Match",
    401: "Missing, expired or invalid credentials",
    403: "No active organization, not allowed (admin-only route), or past the plan's "
    "active projects (creating, resuming)",
    404: "Not found in the caller's organization",
    409: "State conflict, or the same Idempotency-Key is still in progress",
    412: "If-Match does not match the current ETag",
    413: "Body larger than the configured limit",
    415: "Body is not application/json",
    422: "Validation failed; `errors` has messages per field",
    429: "Rate limited; see Retry-After",
    503: "A dependency is unavailable",
}


@dataclass(frozen=True, slots=True)
class Operation:
    tag: str
    summary: str
    responses: Mapping[int, type[Schema] | None]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    if_match: bool = False
    etag: bool = False
    public: bool = False
    errors: tuple[int, ...] = field(default_factory=tuple)


def operation(
    tag: str,
    summary: str,
    *,
    responses: Mapping[int, type[Schema] | None],
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    if_match: bool = False,
    etag: bool = False,
    public: bool = False,
    errors: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """Attach the OpenAPI description to a view (place it under the route decorator)."""
    record = Operation(tag, summary, responses, body, query, if_match, etag, public, errors)

    def attach(view: F) -> F:
        view.__openapi__ = record  # type: ignore[attr-defined]
        return view

    return attach


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Many Futures API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": _DESCRIPTION},
        security=[{"clerkBearer": []}, {"clerkSession": []}, {"devUser": [], "devOrg": []}],
    )
    spec.components.security_scheme(
        "clerkBearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.security_scheme(
        "clerkSession", {"type": "apiKey", "in": "cookie", "name": "__session"}
    )
    spec.components.security_scheme(
        "devUser",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-Dev-User",
            "description": "MANYFUTURES_AUTH=dev only; X-Dev-Role: admin|member is optional.",
        },
    )
    spec.components.security_scheme(
        "devOrg", {"type": "apiKey", "in": "header", "name": "X-Dev-Org"}
    )
    spec.components.schema("Problem", schema=ProblemSchema)

    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        record: Operation | None = getattr(app.view_functions[rule.endpoint], "__openapi__", None)
        if record is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        names = _PATH_PARAM.findall(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                record, rule.endpoint, method, names
            )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    # Rules the schemas check in @validates_schema, which apispec cannot see: exactly one
    # change per note PATCH (new text, or archived); at least one switch per preferences PATCH
    # (and per kind it names).
    schemas = document["components"]["schemas"]
    schemas["PlanningNoteUpdate"].update(minProperties=1, maxProperties=1)
    for name in ("NotificationPreferencesPatch", "ChannelSwitchesPatch"):
        schemas[name].update(minProperties=1)
    return document


def _json(schema: type[Schema] | None, media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}} if schema is not None else {}


def _operation(record: Operation, endpoint: str, method: str, names: list[str]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in names
    ]
    if record.query is not None:
        parameters.append({"in": "query", "schema": record.query})
    errors = set(record.errors)
    if names:
        errors.add(404)
    if record.query is not None or record.body is not None:
        errors.add(422)
    if record.body is not None:
        errors.update({400, 413, 415})
    if record.if_match:
        errors.update({400, 412})
        parameters.append(
            {
                "in": "header",
                "name": "If-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": (
                    'The ETag from a previous read, e.g. "v3", or *; a comma-separated list '
                    "matches when one strong tag is current (RFC 9110). 412 if none is; "
                    "400 if it is not a list of entity tags."
                ),
            }
        )
    if method == "POST" and not record.public:
        errors.update({409, 422})
        parameters.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                # What the server accepts (idempotency.KEY_PATTERN): visible ASCII only.
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
                "description": "1 to 255 visible ASCII characters. Replays within 24 h "
                "return the first response.",
            }
        )
    if not record.public:
        errors.update({401, 403, 429})

    responses: dict[str, Any] = {}
    for status, schema in record.responses.items():
        if status >= 400:
            errors.add(status)
            continue
        response: dict[str, Any] = {"description": _success_text(status), **_json(schema)}
        if record.etag:
            response["headers"] = {
                "ETag": {
                    "description": "The project's version as a strong ETag, for If-Match.",
                    "schema": {"type": "string"},
                }
            }
        responses[str(status)] = response
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            **_json(ProblemSchema, "application/problem+json"),
        }
    responses["default"] = {
        "description": "Any other error, as problem details",
        **_json(ProblemSchema, "application/problem+json"),
    }

    result: dict[str, Any] = {
        "tags": [record.tag],
        "summary": record.summary,
        "operationId": endpoint.replace(".", "_"),
        "responses": responses,
    }
    if parameters:
        result["parameters"] = parameters
    if record.body is not None:
        result["requestBody"] = {"required": True, **_json(record.body)}
    if record.public:
        result["security"] = []
    return result


def _success_text(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}.get(status, "Success")
