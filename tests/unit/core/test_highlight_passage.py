"""A highlight's text must be its block's content between the offsets, in code points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.feedback.highlight import check_passage, validate_note
from manyfutures.core.shared.errors import ValidationError


@st.composite
def passages(draw: st.DrawFn) -> tuple[str, int, int]:
    content = draw(st.text(min_size=1))
    start = draw(st.integers(0, len(content) - 1))
    end = draw(st.integers(start + 1, len(content)))
    return content, start, end


@given(passages())
def test_the_slice_between_the_offsets_is_accepted(passage: tuple[str, int, int]) -> None:
    content, start, end = passage
    check_passage(content, start, end, content[start:end])


@given(passages(), st.text(min_size=1))
def test_any_other_text_is_refused(passage: tuple[str, int, int], text: str) -> None:
    content, start, end = passage
    if text == content[start:end]:
        return
    with pytest.raises(ValidationError) as caught:
        check_passage(content, start, end, text)
    assert list(caught.value.field_errors) == ["text"]


@given(st.text(min_size=1), st.integers(-5, 50), st.integers(-5, 50))
def test_offsets_outside_the_block_or_out_of_order_are_refused(
    content: str, start: int, end: int
) -> None:
    inside = 0 <= start < end <= len(content)
    if inside:
        check_passage(content, start, end, content[start:end])
        return
    with pytest.raises(ValidationError) as caught:
        check_passage(content, start, end, content[max(start, 0) : max(end, 0)] or "x")
    assert set(caught.value.field_errors) <= {"startOffset", "endOffset"}
    assert caught.value.field_errors


def test_offsets_count_code_points_not_utf16_units() -> None:
    content = "Grid 🔋 storage"  # the battery is one code point, two UTF-16 units
    check_passage(content, 5, 6, "🔋")
    check_passage(content, 7, 14, "storage")
    with pytest.raises(ValidationError):
        check_passage(content, 8, 15, "storage")  # counted in UTF-16 units


def test_a_blank_note_is_no_note_and_a_long_one_is_refused() -> None:
    assert validate_note("  ") is None
    assert validate_note(" why ") == "why"
    assert validate_note(None) is None
    with pytest.raises(ValidationError):
        validate_note("x" * 2001)
