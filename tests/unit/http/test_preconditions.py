"""The If-Match parser alone (RFC 9110 section 13.1.1): property tests over its grammar."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.entrypoints.http.preconditions import (
    EntityTag,
    MalformedHeaderError,
    parse_if_match,
)

ETAGC = st.characters(codec="latin-1").filter(lambda c: c == "\x21" or "\x23" <= c != "\x7f")
OPAQUE = st.text(ETAGC, max_size=12)
TAG = st.builds(EntityTag, OPAQUE, st.booleans())
OWS = st.sampled_from(["", " ", "\t", "  "])


def _render(tag: EntityTag) -> str:
    return f'{"W/" if tag.weak else ""}"{tag.opaque}"'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(OWS, TAG, OWS), max_size=5), st.integers(0, 2))
def test_any_rendered_list_parses_back_to_its_tags(
    elements: list[tuple[str, EntityTag, str]], empty_elements: int
) -> None:
    rendered = ",".join(f"{before}{_render(tag)}{after}" for before, tag, after in elements)
    rendered = "," * empty_elements + rendered
    parsed = parse_if_match(rendered)
    assert not parsed.any
    assert parsed.tags == tuple(tag for _, tag, _ in elements)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="latin-1"), max_size=30))
def test_any_text_parses_or_is_malformed(value: str) -> None:
    try:
        parsed = parse_if_match(value)
    except MalformedHeaderError:
        return
    assert parsed.any == (value.strip(" \t") == "*")
    assert all(isinstance(tag.opaque, str) for tag in parsed.tags)


def test_star_and_known_shapes() -> None:
    assert parse_if_match(" * ").any
    assert parse_if_match('"a,b", W/""').tags == (EntityTag("a,b", False), EntityTag("", True))
    assert parse_if_match("").tags == ()
    for bad in ('"', "*,*", 'W/"a" x', '"a"b', "\x00"):
        with pytest.raises(MalformedHeaderError):
            parse_if_match(bad)
