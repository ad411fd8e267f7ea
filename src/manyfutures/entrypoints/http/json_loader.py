"""The one JSON loader for every request body (API routes, Clerk webhooks, callbacks).

A body that passes can be carried by every layer behind it, in memory mode and on
PostgreSQL alike, so the rules are set here once rather than discovered as a 500
deep in a copy, an encoder or the database:

- **Strict JSON.** No ``NaN``/``Infinity``.
- **Only storable text.** PostgreSQL text and jsonb hold neither NUL nor lone
  surrogates (U+D800 to U+DFFF, which have no UTF-8 form); either, in any string or
  member name, is refused naming the field.

``MalformedJsonError`` is the client's 400; ``UnstorableTextError`` the 422 naming the
field. Both are ``ValueError``.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class MalformedJsonError(ValueError):
    """The bytes are not a JSON text this API accepts."""


class UnstorableTextError(ValueError):
    """Valid JSON, but a string or member name holds a character no store can keep."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_json(raw: bytes) -> Any:
    """The parsed body, or ``MalformedJsonError`` / ``UnstorableTextError``."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise MalformedJsonError("JSON nested too deeply") from None
    except MalformedJsonError:
        raise
    except ValueError as error:
        raise MalformedJsonError(str(error)) from None
    _check_text(value)
    return value


def _reject_constant(name: str) -> NoReturn:
    raise MalformedJsonError(f"{name} is not valid JSON")


def field_name(text: str) -> str:
    """A member name safe to echo in an error: unstorable characters as ``\\uXXXX``."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _check_text(value: Any) -> None:
    """One iterative walk in document order (no recursion, however deep the body);
    the first unstorable string or member name is reported."""
    # (value, its field path, the member name that leads to it)
    stack: list[tuple[Any, str, str]] = [(value, "", "")]
    while stack:
        item, path, name = stack.pop()
        for text in (name, item) if isinstance(item, str) else (name,):
            if _UNSTORABLE.search(text):
                raise _unstorable(path or "_body", text)
        if isinstance(item, dict):
            children = [
                (inner, f"{path}.{field_name(key)}" if path else field_name(key), key)
                for key, inner in item.items()
            ]
        elif isinstance(item, list):
            children = [
                (inner, f"{path}.{i}" if path else str(i), "") for i, inner in enumerate(item)
            ]
        else:
            continue
        stack.extend(reversed(children))


def _unstorable(field: str, text: str) -> UnstorableTextError:
    if "\x00" in text:
        return UnstorableTextError(field, "must not contain the NUL character")
    return UnstorableTextError(
        field, "must not contain a lone surrogate (U+D800 to U+DFFF): it is not a character"
    )
