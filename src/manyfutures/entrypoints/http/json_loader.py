"""The one JSON loader for every request body (API routes, Clerk webhooks, callbacks).

A body that passes can be carried by every layer behind it, in memory mode and on
PostgreSQL alike, so the rules are set here once rather than discovered as a 500
deep in a copy, an encoder or the database:

- **UTF-8 only.** JSON exchanged between systems is UTF-8 (RFC 8259 section 8.1);
  ``json.loads`` would guess UTF-16/32 and let UTF-8-encoded surrogates through. One
  leading byte order mark is ignored, as RFC 8259 allows.
- **Strict JSON.** No ``NaN``/``Infinity``, no number too large for a float, no
  duplicate member names (parsers disagree on which one wins).
- **Nesting at most ``MAX_JSON_DEPTH`` levels**, far below the recursion that
  ``copy.deepcopy``, ``json.dumps`` and marshmallow need per level.
- **Only storable text.** PostgreSQL text and jsonb hold neither NUL nor lone
  surrogates (U+D800 to U+DFFF, which have no UTF-8 form); either, in any string or
  member name, is refused naming the field.

``MalformedJsonError`` is the client's 400; ``UnstorableTextError`` the 422 naming the
field. Both are ``ValueError``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

MAX_JSON_DEPTH = 64
_BOM = b"\xef\xbb\xbf"
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
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    if b"\x00" in raw:
        # Never valid in a JSON text; two or four per ASCII character in UTF-16/UTF-32.
        raise MalformedJsonError("the body must be UTF-8; it holds NUL bytes (UTF-16 or UTF-32?)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedJsonError(f"the body must be UTF-8; byte {error.start} is not") from None
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_members,
        )
    except RecursionError:
        raise MalformedJsonError(_too_deep()) from None
    except MalformedJsonError:
        raise
    except ValueError as error:
        raise MalformedJsonError(str(error)) from None
    _check_depth_and_text(value)
    return value


def _reject_constant(name: str) -> NoReturn:
    raise MalformedJsonError(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise MalformedJsonError(f"the number {literal[:40]} is too large")
    return number


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise MalformedJsonError(f"the member name {field_name(name)!r} appears twice")
        seen.add(name)
    raise AssertionError("a shorter dict implies a repeated name")


def _too_deep() -> str:
    return f"the body is nested more than {MAX_JSON_DEPTH} levels deep"


def field_name(text: str) -> str:
    """A member name safe to echo in an error: unstorable characters as ``\\uXXXX``."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _check_depth_and_text(value: Any) -> None:
    """One iterative walk in document order (no recursion, however deep the body).

    Too deep wins over unstorable text wherever each is, so the status does not depend
    on which comes first; otherwise the first unstorable string or name is reported.
    """
    unstorable: UnstorableTextError | None = None
    # (value, its field path, its depth, the member name that leads to it)
    stack: list[tuple[Any, str, int, str]] = [(value, "", 1, "")]
    while stack:
        item, path, depth, name = stack.pop()
        if unstorable is None:
            for text in (name, item) if isinstance(item, str) else (name,):
                if _UNSTORABLE.search(text):
                    unstorable = _unstorable(path or "_body", text)
                    break
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
        if depth > MAX_JSON_DEPTH:
            raise MalformedJsonError(_too_deep())
        stack.extend((inner, at, depth + 1, key) for inner, at, key in reversed(children))
    if unstorable is not None:
        raise unstorable


def _unstorable(field: str, text: str) -> UnstorableTextError:
    if "\x00" in text:
        return UnstorableTextError(field, "must not contain the NUL character")
    return UnstorableTextError(
        field, "must not contain a lone surrogate (U+D800 to U+DFFF): it is not a character"
    )
