"""Reading request input: JSON bodies and query strings, through marshmallow schemas.

Every failure is a client error with a precise status: 415 for a body that is not
JSON, 400 for a body the one JSON loader (``json_loader.py``) refuses, 413 (raised by
werkzeug against MAX_CONTENT_LENGTH) for an oversized body, 422 for text no store can
keep (NUL, lone surrogates) or JSON that is not what the schema wants. None of them
reaches a use case, so none can half-write anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaValidationError

from manyfutures.entrypoints.http.json_loader import UnstorableTextError, parse_json
from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.schemas import PageQuerySchema, fast_page_query, instance


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


NUL = "\x00"


def reject_nul_in_url() -> None:
    """The path and query string reach repositories as ids and filters: no NUL there either."""
    if NUL in request.path or any(
        NUL in key or NUL in value for key, value in request.args.items(multi=True)
    ):
        raise ProblemError(
            400, "bad-request", "Bad request", "the URL must not contain NUL characters"
        )


_PARSED_BODY = "manyfutures.parsed_body"


def parsed_body() -> Any:
    """The request body as JSON, parsed once per request and shared.

    The Idempotency-Key fingerprint and the handler's schema both need it; a body
    that does not parse raises the same ValueError to each. It is kept in the WSGI
    environ, which lives exactly as long as the request (``g`` can outlive it when
    an app context is already open).
    """
    environ = request.environ
    if _PARSED_BODY not in environ:
        try:
            environ[_PARSED_BODY] = (parse_json(request.get_data(cache=True)), None)
        except ValueError as error:  # MalformedJsonError or UnstorableTextError
            environ[_PARSED_BODY] = (None, error)
    value, failure = environ[_PARSED_BODY]
    if failure is not None:
        raise failure
    return value


def json_body(schema: type[Schema]) -> dict[str, Any]:
    if not is_json_mimetype(request.mimetype):
        raise ProblemError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as JSON with 'Content-Type: application/json'",
        )
    return _validated(parsed_body, schema)


def load_json(
    raw: bytes,
    schema: type[Schema],
    fast: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """A body read outside ``json_body`` (a signed webhook's), checked the same way.

    ``fast``, when given, is tried first on the parsed object: it returns what the
    schema would load for the bodies it knows to be valid, and None for the schema to
    decide (and word the errors)."""
    return _validated(lambda: parse_json(raw), schema, fast)


def _validated(
    parse: Callable[[], Any],
    schema: type[Schema],
    fast: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    try:
        data = parse()
    except UnstorableTextError as error:
        raise SchemaValidationError({error.field: [error.message]}) from None
    except ValueError as error:
        raise ProblemError(
            400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}"
        ) from None
    if not isinstance(data, dict):
        raise SchemaValidationError({"_body": ["the body must be a JSON object"]})
    if fast is not None and (quick := fast(data)) is not None:
        return quick
    loaded: dict[str, Any] = instance(schema).load(data)
    return loaded


# Query schemas with a loader for the usual query strings, tried before marshmallow
# (which words every refusal): the page query is on every list page.
_FAST_QUERIES: dict[type[Schema], Callable[[Mapping[str, str]], dict[str, Any] | None]] = {
    PageQuerySchema: fast_page_query
}


def query_args(schema: type[Schema]) -> dict[str, Any]:
    args = request.args
    fast = _FAST_QUERIES.get(schema)
    if fast is not None and (quick := fast(args)) is not None:
        return quick
    loaded: dict[str, Any] = instance(schema).load(args.to_dict(flat=True))
    return loaded
