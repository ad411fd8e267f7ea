"""RFC 9457 problem details for every error the API returns.

Each domain error maps to one status and one stable ``type``, documented in
``docs/api-errors.md``, so clients can branch on ``type`` rather than parse text.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from marshmallow import ValidationError as SchemaValidationError
from werkzeug.exceptions import HTTPException

from manyfutures.core.identity.ports import AuthenticationError
from manyfutures.core.shared.errors import (
    DomainError,
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
    VersionConflictError,
)

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/problems/"

_DOMAIN_ERRORS: tuple[tuple[type[DomainError], int, str, str], ...] = (
    (ValidationError, 422, "validation-error", "Your request is not valid"),
    (NotFoundError, 404, "not-found", "Not found"),
    (VersionConflictError, 412, "version-mismatch", "The resource has changed"),
    (StateConflictError, 409, "state-conflict", "Not allowed in the current state"),
    (DuplicateError, 409, "duplicate", "Already exists"),
    (PermissionDeniedError, 403, "forbidden", "Forbidden"),
    (AuthenticationError, 401, "unauthenticated", "Authentication required"),
)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _from_domain(error: DomainError) -> Response:
    for kind, status, slug, title in _DOMAIN_ERRORS:
        if isinstance(error, kind):
            extra: dict[str, Any] = {}
            if isinstance(error, ValidationError):
                extra["errors"] = error.field_errors
            return problem(status, slug, title, str(error), **extra)
    return _unexpected(error)


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    slug = (error.name or "error").lower().replace(" ", "-")
    response = problem(status, slug, error.name or "Error", error.description or "")
    if status == 405 and error.response is None:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _from_schema(error: SchemaValidationError) -> Response:
    messages = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
    errors = {field: _flatten(value) for field, value in messages.items()}
    return problem(
        422,
        "validation-error",
        "Your request is not valid",
        "one or more fields are invalid",
        errors=errors,
    )


def _flatten(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in _flatten(inner)]
    return [str(value)]


def _unexpected(error: Exception) -> Response:
    logger.exception("unhandled error", exc_info=error)
    return problem(
        500,
        "internal-error",
        "Internal Server Error",
        "Something went wrong on our side; it has been logged.",
    )


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _from_domain)
    app.register_error_handler(SchemaValidationError, _from_schema)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _unexpected)
