"""RFC 9457 problem details for every error the API returns.

Each domain error maps to one status and one stable ``type``, documented in
``docs/api-errors.md``, so clients can branch on ``type`` rather than parse text.
Nothing a client sends can reach the catch-all 500: bad input is rejected as
400/413/415/422 before a use case runs, and domain errors map below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, json
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from manyfutures.core.costs.budget import DailyCostLimitReachedError
from manyfutures.core.identity.features import FeatureNotEnabledError
from manyfutures.core.identity.ports import AuthenticationError, IdentityProviderUnavailableError
from manyfutures.core.projects.plan_limit import ActiveProjectLimitError
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


def _field_errors(error: Any) -> dict[str, Any]:
    return {"errors": error.field_errors}


def _feature(error: Any) -> dict[str, Any]:
    return {"feature": error.feature}


def _plan_counts(error: Any) -> dict[str, Any]:
    return {
        "maxActiveProjects": error.max_active_projects,
        "activeProjects": error.active_projects,
    }


# Domain error -> status, type slug, title, and the members a client branches on.
# The first row the error is an instance of answers.
# A domain error's kind, status, problem slug, title and extra members.
_DomainEntry = tuple[type[DomainError], int, str, str, Callable[[Any], dict[str, Any]] | None]
_DOMAIN_ERRORS: tuple[_DomainEntry, ...] = (
    (ValidationError, 422, "validation-error", "Your request is not valid", _field_errors),
    (NotFoundError, 404, "not-found", "Not found", None),
    (VersionConflictError, 412, "version-mismatch", "The resource has changed", None),
    (StateConflictError, 409, "state-conflict", "Not allowed in the current state", None),
    (DuplicateError, 409, "duplicate", "Already exists", None),
    (
        ActiveProjectLimitError,
        403,
        "plan-active-project-limit",
        "The plan's limit on active projects is reached",
        _plan_counts,
    ),
    (
        FeatureNotEnabledError,
        403,
        "feature-not-enabled",
        "The feature is not enabled for this organization",
        _feature,
    ),
    (PermissionDeniedError, 403, "forbidden", "Forbidden", None),
    (AuthenticationError, 401, "unauthenticated", "Authentication required", None),
)

# Werkzeug's HTTP errors keep their status; these get a slug and title of our own.
_HTTP_SLUGS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


class ProblemError(Exception):
    """An HTTP-level problem raised by the entrypoint itself (malformed JSON, idempotency)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = dict(headers or {})
        self.extra = extra


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _entry_of(error: DomainError) -> _DomainEntry | None:
    """The table's row for ``error`` (the first whose kind it is), or None."""
    return next((entry for entry in _DOMAIN_ERRORS if isinstance(error, entry[0])), None)


def domain_status(error: DomainError) -> tuple[int, str]:
    """The status and title the API gives ``error``; the console's error pages use them."""
    entry = _entry_of(error)
    return (entry[1], entry[3]) if entry is not None else (500, "Internal server error")


def _from_domain(error: DomainError) -> Response:
    entry = _entry_of(error)
    if entry is None:
        return _unexpected(error)
    _kind, status, slug, title, members = entry
    extra = members(error) if members is not None else {}
    return problem(status, slug, title, str(error), **extra)


def _from_problem_error(error: ProblemError) -> Response:
    response = problem(error.status, error.slug, error.title, error.detail, **error.extra)
    response.headers.update(error.headers)
    return response


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    slug, title = _HTTP_SLUGS.get(
        status, ((error.name or "error").lower().replace(" ", "-"), error.name or "Error")
    )
    response = problem(status, slug, title, error.description or "")
    if status == 405:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _from_schema(error: SchemaValidationError) -> Response:
    messages = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
    errors: dict[str, list[str]] = {}
    _flatten(messages, "", errors)
    return problem(
        422,
        "validation-error",
        "Your request is not valid",
        "one or more fields are invalid",
        errors=errors,
    )


def _flatten(value: Any, path: str, into: dict[str, list[str]]) -> None:
    """Nested marshmallow messages become dotted field paths: ``cadence.days.0``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{path}.{key}" if path else str(key), into)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        into.setdefault(path or "_body", []).extend(value)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, path, into)
    else:
        into.setdefault(path or "_body", []).append(str(value))


def _daily_cost_limit_reached(error: DailyCostLimitReachedError) -> Response:
    """429 with the reset instant twice: ``Retry-After`` for HTTP clients, ``resetsAt`` for
    people and front ends (the next 00:00 UTC)."""
    response = problem(
        429,
        "daily-cost-limit-reached",
        "Daily cost limit reached",
        str(error),
        resetsAt=error.resets_at.isoformat(),
    )
    response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


def _identity_provider_down(error: IdentityProviderUnavailableError) -> Response:
    response = problem(503, "identity-provider-unavailable", "Service unavailable", str(error))
    response.headers["Retry-After"] = "5"
    return response


def _database_unavailable(error: DatabaseOperationalError) -> Response:
    """The database refused or dropped the connection (restarting, failing over,
    unreachable): nothing is wrong with the request, so 503 and come back, not a 500.
    Whatever the request had begun is rolled back with its transaction."""
    logger.warning("database unavailable: %s", error.orig)
    response = problem(
        503,
        "database-unavailable",
        "Service unavailable",
        "The database cannot be reached just now; retry shortly.",
    )
    response.headers["Retry-After"] = "5"
    return response


def _unexpected(error: Exception) -> Response:
    logger.exception("unhandled error", exc_info=error)
    return _internal_error()


def _internal_server_error(error: InternalServerError) -> Response:
    """What raised outside a view (an after_request hook): Flask logged it before wrapping
    it, so this only answers, with the same problem as any other unexpected error."""
    return _internal_error()


def _internal_error() -> Response:
    return problem(
        500,
        "internal-error",
        "Internal Server Error",
        "Something went wrong on our side; it has been logged.",
    )


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DailyCostLimitReachedError, _daily_cost_limit_reached)
    app.register_error_handler(DomainError, _from_domain)
    app.register_error_handler(ProblemError, _from_problem_error)
    app.register_error_handler(SchemaValidationError, _from_schema)
    app.register_error_handler(IdentityProviderUnavailableError, _identity_provider_down)
    app.register_error_handler(DatabaseOperationalError, _database_unavailable)
    app.register_error_handler(InternalServerError, _internal_server_error)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _unexpected)
