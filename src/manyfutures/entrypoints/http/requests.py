"""Reading request input: JSON bodies and query strings, through marshmallow schemas.

Every failure is a client error with a precise status: 415 for a body that is not
JSON, 400 for JSON that does not parse, 413 (raised by werkzeug against
MAX_CONTENT_LENGTH) for an oversized body, 422 for JSON that is not what the schema
wants. None of them reaches a use case, so none can half-write anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaValidationError

from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.schemas import instance


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _reject_constant(name: str) -> NoReturn:
    # Python's json accepts NaN and Infinity; JSON does not, and Decimal/int fields would choke.
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity; raises ValueError (also for nesting too deep)."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


NUL = "\x00"


def nul_path(value: Any, path: str = "") -> str | None:
    """Where a NUL character hides in parsed JSON, as a dotted field path.

    PostgreSQL text and jsonb cannot hold NUL, so such input must be refused as a
    client error here rather than fail as a server error at the database.
    """
    if isinstance(value, str):
        return path or "_body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return inner
            found = nul_path(item, inner)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


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
        except ValueError as error:  # includes UnicodeDecodeError
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


def load_json(raw: bytes, schema: type[Schema]) -> dict[str, Any]:
    """A body read outside ``json_body`` (a signed webhook's), checked the same way."""
    return _validated(lambda: parse_json(raw), schema)


def _validated(parse: Callable[[], Any], schema: type[Schema]) -> dict[str, Any]:
    try:
        data = parse()
    except ValueError as error:
        raise ProblemError(
            400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}"
        ) from None
    if not isinstance(data, dict):
        raise SchemaValidationError({"_body": ["the body must be a JSON object"]})
    field = nul_path(data)
    if field is not None:
        raise SchemaValidationError({field: ["must not contain the NUL character"]})
    loaded: dict[str, Any] = instance(schema).load(data)
    return loaded


def query_args(schema: type[Schema]) -> dict[str, Any]:
    loaded: dict[str, Any] = instance(schema).load(request.args.to_dict(flat=True))
    return loaded
