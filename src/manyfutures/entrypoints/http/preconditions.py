"""``If-Match``: the one parser (RFC 9110 section 13.1.1) and what it asks of a project.

Grammar: ``If-Match = "*" / #entity-tag``, ``entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE``,
``etagc = %x21 / %x23-7E / obs-text``; list elements are separated by commas with
optional spaces or tabs, and empty elements are ignored. An etagc may be a comma, so
the list is scanned tag by tag rather than split.

A project's ETag is ``"v<version>"``. If-Match compares strongly, so a weak tag never
matches, nor does a tag no project can carry (``""``, ``"v01"``, ``"garbage"``). What
is not the grammar is a 400; what matches nothing is a 412, answered by the use case
inside its transaction like any stale version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request

from manyfutures.entrypoints.http.problems import ProblemError

HEADER = "If-Match"
_OWS = " \t"
# One list element: optional whitespace, an optional entity-tag, optional whitespace.
_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*')
# What project_response puts in ETag; no leading zeros, so comparison stays byte-exact.
_VERSION_TAG = re.compile(r"v(0|[1-9][0-9]{0,17})")
UNMATCHABLE_VERSION = -1


class MalformedHeaderError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str  # between the quotes
    weak: bool


@dataclass(frozen=True, slots=True)
class IfMatch:
    any: bool  # "*": any current representation
    tags: tuple[EntityTag, ...] = ()


def parse_if_match(value: str) -> IfMatch:
    """The field value as RFC 9110 reads it; ``MalformedHeaderError`` if it is not one."""
    if value.strip(_OWS) == "*":
        return IfMatch(any=True)
    tags: list[EntityTag] = []
    position = 0
    while True:
        element = _ELEMENT.match(value, position)
        assert element is not None  # every part of the pattern is optional
        if element.group(2) is not None:
            tags.append(EntityTag(element.group(2), weak=element.group(1) is not None))
        position = element.end()
        if position == len(value):
            return IfMatch(any=False, tags=tuple(tags))
        if value[position] != ",":
            raise MalformedHeaderError(
                f"unexpected {value[position]!r} at position {position}: expected a quoted "
                'entity tag such as "v3", a comma between tags, or * alone'
            )
        position += 1


def expected_version() -> int | None:
    """The project version the request's If-Match demands: None when absent or ``*``.

    Several strong ``"v<n>"`` tags naming different versions are answered as no match
    (412) rather than "any of them": the use case checks one version inside its
    transaction, and a client that holds one ETag sends one.
    """
    fields = request.headers.getlist(HEADER)
    if not fields:
        return None
    try:
        condition = parse_if_match(", ".join(fields))
    except MalformedHeaderError as error:
        raise ProblemError(
            400, "bad-request", "Bad request", f"{HEADER} is not a list of entity tags: {error}"
        ) from None
    if condition.any:
        return None
    versions = {
        int(match.group(1))
        for tag in condition.tags
        if not tag.weak and (match := _VERSION_TAG.fullmatch(tag.opaque))
    }
    return versions.pop() if len(versions) == 1 else UNMATCHABLE_VERSION
