"""The page query's quick loader answers exactly what ``PageQuerySchema`` loads, or
leaves the query string to the schema (which then loads or refuses it in its own
words): never a different page, never a page for a query the schema refuses."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from manyfutures.entrypoints.http.schemas import PageQuerySchema, fast_page_query, instance

KEYS = st.sampled_from(["limit", "cursor", "Limit", "cursor ", "q", ""])
VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(-5, 150).map(str),
    st.from_regex(r"[0-9+\- _]{0,5}", fullmatch=True),
    st.from_regex(r"[a-z]{1,5}_[0-9A-Za-z]{1,66}\n?", fullmatch=True),
    st.sampled_from(["٣", "1_0", " 5", "5 ", "0020", "100", "101", "proj_", "PROJ_1"]),
)


def _schema(args: MultiDict[str, str]) -> dict[str, object] | ValidationError:
    try:
        loaded: dict[str, object] = instance(PageQuerySchema).load(args.to_dict(flat=True))
        return loaded
    except ValidationError as error:
        return error


@given(st.lists(st.tuples(KEYS, VALUES), max_size=4))
@example([])
@example([("limit", "20")])
@example([("limit", "100"), ("cursor", "proj_01J")])
@example([("limit", "0")])
@example([("limit", "101")])
@example([("limit", "1_0")])
@example([("cursor", "proj_1\n")])
@example([("limit", "5"), ("limit", "x")])
@example([("limit", "x"), ("limit", "5")])
def test_the_quick_loader_agrees_with_the_schema(pairs: list[tuple[str, str]]) -> None:
    args = MultiDict(pairs)
    quick = fast_page_query(args)
    if quick is not None:
        assert quick == _schema(args)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], {"limit": 20, "cursor": None}),
        ([("limit", "20")], {"limit": 20, "cursor": None}),
        ([("limit", "007"), ("cursor", "ep_0AbC")], {"limit": 7, "cursor": "ep_0AbC"}),
        ([("cursor", "proj_1"), ("cursor", "bad")], {"limit": 20, "cursor": "proj_1"}),
    ],
)
def test_the_usual_queries_take_the_quick_path(
    pairs: list[tuple[str, str]], expected: dict[str, object]
) -> None:
    args = MultiDict(pairs)
    assert fast_page_query(args) == expected == _schema(args)


@pytest.mark.parametrize(
    "pairs",
    [
        [("limit", "0")],
        [("limit", "101")],
        [("limit", "1_0")],
        [("limit", " 5")],
        [("limit", "٣")],
        [("cursor", "proj_1\n")],
        [("q", "x")],
    ],
)
def test_anything_else_is_left_to_the_schema(pairs: list[tuple[str, str]]) -> None:
    assert fast_page_query(MultiDict(pairs)) is None
