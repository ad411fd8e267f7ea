"""The memory rules: what a memory may be, and which memories a list or a search shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.feedback.memories import (
    MAX_MEMORY_LENGTH,
    Memory,
    shown,
    validate_new_memory,
)
from manyfutures.core.shared.errors import ValidationError

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
offsets = st.integers(min_value=-10_000, max_value=10_000).map(lambda s: timedelta(seconds=s))


def refused_fields(
    content: object, memory_type: object, importance: object, expires_at: datetime | None
) -> set[str]:
    try:
        validate_new_memory(content, memory_type, importance, expires_at, NOW)
    except ValidationError as error:
        return set(error.field_errors)
    return set()


@given(
    content=st.text(max_size=MAX_MEMORY_LENGTH + 20),
    importance=st.one_of(st.floats(allow_nan=True), st.integers(-3, 3), st.booleans()),
    expires_in=st.one_of(st.none(), offsets),
)
def test_each_broken_rule_is_named_and_only_those(
    content: str, importance: float, expires_in: timedelta | None
) -> None:
    expires_at = None if expires_in is None else NOW + expires_in
    wanted = set()
    if not content.strip() or len(content.strip()) > MAX_MEMORY_LENGTH:
        wanted.add("content")
    if isinstance(importance, bool) or not (0 <= importance <= 1):
        wanted.add("importance")
    if expires_in is not None and expires_in <= timedelta(0):
        wanted.add("expiresAt")
    assert refused_fields(content, "preference", importance, expires_at) == wanted


@given(st.text(max_size=60))
def test_a_type_is_a_lowercase_word(memory_type: str) -> None:
    valid = (
        0 < len(memory_type) <= 50
        and memory_type[0] in "abcdefghijklmnopqrstuvwxyz"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in memory_type)
    )
    assert ("type" not in refused_fields("ok", memory_type, 0.5, None)) is valid


memories = st.lists(
    st.builds(
        Memory,
        id=st.text("abc", min_size=1, max_size=4).map(lambda s: f"mem_{s}"),
        project_id=st.just("proj_1"),
        content=st.text("aAbBßsS ", max_size=8),
        memory_type=st.just("preference"),
        importance=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
        created_at=st.just(NOW),
        expires_at=st.one_of(st.none(), offsets.map(lambda d: NOW + d)),
    ),
    max_size=12,
    unique_by=lambda m: m.id,
)


@given(memories, st.one_of(st.none(), st.text("aAbBßsS", min_size=1, max_size=3)))
def test_shown_is_the_live_matches_most_important_then_oldest(
    given_memories: list[Memory], query: str | None
) -> None:
    result = shown(given_memories, NOW, query)
    expected = [
        m
        for m in given_memories
        if (m.expires_at is None or m.expires_at > NOW)
        and (query is None or query.casefold() in m.content.casefold())
    ]
    assert sorted(result, key=lambda m: m.id) == sorted(expected, key=lambda m: m.id)
    assert result == sorted(result, key=lambda m: (-m.importance, m.id))


def test_a_search_ignores_case_as_unicode_folds_it() -> None:
    street = Memory("mem_1", "proj_1", "Die Straße", "preference", 0.5, NOW, None)
    assert shown([street], NOW, "STRASSE") == [street]
    assert shown([street], NOW, "strasse") == [street]
    assert shown([street], NOW, "road") == []
