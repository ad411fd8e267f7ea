"""A reader's verdict: a whole-number rating from 1 to 5 and an optional bounded comment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.feedback.model import (
    MAX_FEEDBACK_COMMENT_LENGTH,
    MAX_RATING,
    MIN_RATING,
    EpisodeFeedback,
)
from manyfutures.core.shared.errors import ValidationError

RATINGS = st.one_of(
    st.integers(min_value=-10, max_value=10),
    st.booleans(),
    st.floats(allow_nan=False, min_value=-10, max_value=10),
    st.text(max_size=3),
    st.none(),
)
COMMENTS = st.one_of(st.none(), st.text(max_size=MAX_FEEDBACK_COMMENT_LENGTH + 20))


@settings(max_examples=300)
@given(RATINGS, COMMENTS)
def test_feedback_is_accepted_exactly_within_its_bounds(
    rating: object, comment: str | None
) -> None:
    rating_ok = (
        type(rating) is int and MIN_RATING <= rating <= MAX_RATING  # bool is not a rating
    )
    stripped = comment.strip() if comment is not None else ""
    comment_ok = len(stripped) <= MAX_FEEDBACK_COMMENT_LENGTH
    if rating_ok and comment_ok:
        assert EpisodeFeedback.validate(rating, comment) == (rating, stripped or None)
        return
    with pytest.raises(ValidationError) as raised:
        EpisodeFeedback.validate(rating, comment)
    expected = {name for name, ok in (("rating", rating_ok), ("comment", comment_ok)) if not ok}
    assert set(raised.value.field_errors) == expected


def test_feedback_limits() -> None:
    assert EpisodeFeedback.validate(1, None) == (1, None)
    assert EpisodeFeedback.validate(5, "  ") == (5, None)
    assert EpisodeFeedback.validate(3, "x" * MAX_FEEDBACK_COMMENT_LENGTH)[1] is not None
    for rating in (0, 6, True, 2.5):
        with pytest.raises(ValidationError):
            EpisodeFeedback.validate(rating, None)
    with pytest.raises(ValidationError):
        EpisodeFeedback.validate(3, "x" * (MAX_FEEDBACK_COMMENT_LENGTH + 1))
