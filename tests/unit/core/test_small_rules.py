"""The small pure rules: text validation, memory liveness, usage folding, audit text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.activity.recording import as_audit_text, changed_settings
from manyfutures.core.costs.model import Operation, OperationTotals, TokenUsageDaily
from manyfutures.core.projects.model import (
    MAX_BRIEF_LENGTH,
    MAX_TITLE_LENGTH,
    ProjectMemory,
    live_by_importance,
    validate_brief,
    validate_title,
)
from manyfutures.core.shared.errors import FieldErrors, ValidationError
from manyfutures.core.shared.time import ensure_utc
from tests.support import builders
from tests.support.builders import T0


@given(st.text(max_size=MAX_TITLE_LENGTH + 20))
def test_titles_are_trimmed_non_empty_and_bounded(title: str) -> None:
    cleaned = title.strip()
    if cleaned and len(cleaned) <= MAX_TITLE_LENGTH:
        assert validate_title(title) == cleaned
    else:
        with pytest.raises(ValidationError) as raised:
            validate_title(title)
        assert set(raised.value.field_errors) == {"title"}


@pytest.mark.parametrize("brief", ["", "  \n", "x" * (MAX_BRIEF_LENGTH + 1)])
def test_bad_briefs_name_the_brief_field(brief: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_brief(brief)
    assert set(raised.value.field_errors) == {"brief"}


memories = st.builds(
    ProjectMemory,
    content=st.text(min_size=1, max_size=5),
    importance=st.floats(0, 1),
    expires_at=st.one_of(st.none(), st.integers(-100, 100).map(lambda h: T0 + timedelta(hours=h))),
)


@given(st.lists(memories, max_size=20))
def test_live_memories_drop_expired_and_sort_by_importance(items: list[ProjectMemory]) -> None:
    live = live_by_importance(items, T0)
    assert all(m.expires_at is None or m.expires_at > T0 for m in live)
    assert len(live) == sum(1 for m in items if m.expires_at is None or m.expires_at > T0)
    assert [m.importance for m in live] == sorted((m.importance for m in live), reverse=True)


usage_rows = st.lists(
    st.tuples(
        st.sampled_from(list(Operation)),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.decimals(min_value=0, max_value=5, places=4),
        st.integers(0, 23),
        st.booleans(),
    ),
    max_size=30,
)


@settings(max_examples=200)
@given(usage_rows)
def test_daily_aggregate_equals_the_sum_of_its_rows(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    daily = TokenUsageDaily(organization_id="org_a", date=T0.date(), last_updated=T0)
    for n, (operation, prompt, completion, cost, hour, first) in enumerate(rows):
        usage = builders.usage(
            f"usage_{n}",
            operation=operation,
            tokens=(prompt, completion),
            cost=str(cost),
            at=T0.replace(hour=hour),
        )
        daily.add(usage, first_for_episode=first)
    assert daily.total_tokens == sum(p + c for _, p, c, _, _, _ in rows)
    assert daily.total_cost_gbp == sum((c for *_, c, _, _ in rows), Decimal("0"))
    assert daily.episode_count == sum(1 for row in rows if row[5])
    for operation in Operation:
        mine = [r for r in rows if r[0] is operation]
        expected = OperationTotals(
            sum(p + c for _, p, c, *_ in mine), sum((r[3] for r in mine), Decimal("0"))
        )
        assert daily.operation_breakdown.get(operation, OperationTotals()) == expected
    per_hour: dict[int, int] = {}
    for _, p, c, _, hour, _ in rows:
        per_hour[hour] = per_hour.get(hour, 0) + p + c
    assert daily.hourly_peak == max(per_hour.values(), default=0)
    if per_hour:
        assert daily.peak_hour is not None
        assert per_hour[daily.peak_hour] == daily.hourly_peak
        assert daily.peak_hour == min(h for h, v in per_hour.items() if v == daily.hourly_peak)
    else:
        assert daily.peak_hour is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), ("plain", "plain"), ({"b": 1, "a": [2]}, '{"a": [2], "b": 1}'), (3, "3")],
)
def test_audit_values_are_plain_text(value: object, text: str | None) -> None:
    assert as_audit_text(value) == text


settings_pairs = st.dictionaries(
    st.sampled_from(["title", "brief", "cadence", "timezone"]),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
)


@given(settings_pairs)
def test_changed_settings_keep_only_what_moved_in_key_order(
    pairs: dict[str, tuple[int, int]],
) -> None:
    before = {key: was for key, (was, _) in pairs.items()}
    after = {key: now for key, (_, now) in pairs.items()}
    old, new = changed_settings(before, after)
    moved = sorted(key for key, (was, now) in pairs.items() if was != now)
    assert list(old) == list(new) == moved
    assert all((old[key], new[key]) == pairs[key] for key in moved)


def test_features_come_from_enabled_or_experimental() -> None:
    org = builders.organization(enabled_features=["chat"], experimental_features=["highlights"])
    assert org.has_feature("chat")
    assert org.has_feature("highlights")
    assert not org.has_feature("memories")


def test_field_errors_collect_every_failure() -> None:
    errors = FieldErrors()
    assert errors.check(lambda: validate_title("ok")) == "ok"
    assert errors.check(lambda: validate_title("")) is None
    assert errors.check(lambda: validate_brief("")) is None
    with pytest.raises(ValidationError) as raised:
        errors.raise_if_any("bad")
    assert set(raised.value.field_errors) == {"title", "brief"}
    FieldErrors().raise_if_any("nothing collected, nothing raised")


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])))
def test_aware_times_become_utc_and_naive_ones_are_refused(value: datetime) -> None:
    converted = ensure_utc(value)
    assert converted == value
    assert converted.tzinfo is UTC
    with pytest.raises(ValidationError):
        ensure_utc(value.replace(tzinfo=None), "when")
