"""Engagement metrics are counts over events: checked against events counted by hand."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.activity.engagement import (
    MAX_METRICS_DAYS,
    EngagementMetrics,
    engagement_metrics,
)
from manyfutures.core.activity.model import UserEvent
from manyfutures.core.shared.errors import ValidationError
from tests.support.builders import T0  # 2026-01-05 08:00 UTC

DAY = T0.date()
_next_id = iter(range(1, 1_000_000))


def event(kind: str, minutes: float, **data: Any) -> UserEvent:
    return UserEvent(
        id=f"evt_{next(_next_id):06d}",
        organization_id="org_a",
        user_id="user_a",
        event_type=kind,
        event_data=data,
        created_at=T0 + timedelta(minutes=minutes),
    )


# Two days, 2026-01-05 and 06, counted by hand:
EVENTS = [
    event("project_created", 0, projectId="proj_3"),  # not activity
    event("episode_published", 10, projectId="proj_1", episodeId="ep_1"),
    event("episode_published", 20, projectId="proj_2", episodeId="ep_2"),
    event("episode_published", 30, projectId="proj_1", episodeId="ep_3"),  # never opened
    event("episode_opened", 40, projectId="proj_1", episodeId="ep_1"),  # ep_1: 30 min
    event("first_episode_opened", 40, projectId="proj_1", episodeId="ep_1"),
    event("episode_opened", 50, projectId="proj_1", episodeId="ep_1"),  # a second open
    event("episode_opened", 20 + 90, projectId="proj_2", episodeId="ep_2"),  # ep_2: 90 min
    event("episode_opened", 60, projectId="proj_4", episodeId="ep_old"),  # published earlier
    event("planning_note_submitted", 70, projectId="proj_1", planningNoteId="note_1"),
    event("planning_note_submitted", 71, projectId="proj_1", planningNoteId="note_2"),
    event("planning_note_incorporated", 72, projectId="proj_1", planningNoteId="note_1"),
    event("feedback_submitted", 80, projectId="proj_5", episodeId="ep_5", rating=5),
    event("feedback_submitted", 81, projectId="proj_1", episodeId="ep_1", rating=2),
    event("feedback_submitted", 82, projectId="proj_1", episodeId="ep_1", rating=4),
    event("feedback_submitted", 83, projectId="proj_1", rating=True),  # not a rating
    event("feedback_submitted", 84, projectId="proj_1", rating=6),  # out of range
    event("settings_updated", 90, projectId="proj_6"),  # not activity
    # Outside 2026-01-05..06: ignored.
    event("episode_published", -60 * 9, projectId="proj_7", episodeId="ep_7"),
    event("feedback_submitted", 60 * 40, projectId="proj_7", rating=1),
]
HAND_COUNTED = EngagementMetrics(
    first=DAY,
    last=DAY + timedelta(days=1),
    active_projects=4,  # proj_1, proj_2, proj_4 (opened), proj_5 (feedback)
    episodes_published=3,
    episodes_opened=3,  # ep_1, ep_2, ep_old
    opens=4,
    new_readers=1,
    median_seconds_to_first_open=60 * 60.0,  # median of 30 and 90 minutes
    planning_notes_submitted=2,
    planning_notes_incorporated=1,
    feedback_count=3,
    average_feedback_rating=3.67,  # (5 + 2 + 4) / 3
)


def test_the_metrics_match_events_counted_by_hand() -> None:
    assert engagement_metrics(EVENTS, DAY, DAY + timedelta(days=1)) == HAND_COUNTED


def test_a_range_without_events_has_zeros_and_no_averages() -> None:
    metrics = engagement_metrics(EVENTS, date(2025, 1, 1), date(2025, 1, 31))
    assert (metrics.active_projects, metrics.opens, metrics.feedback_count) == (0, 0, 0)
    assert metrics.median_seconds_to_first_open is None
    assert metrics.average_feedback_rating is None


@given(st.randoms(use_true_random=False))
def test_the_order_events_arrive_in_does_not_matter(shuffler: random.Random) -> None:
    shuffled = list(EVENTS)
    shuffler.shuffle(shuffled)
    assert engagement_metrics(shuffled, DAY, DAY + timedelta(days=1)) == HAND_COUNTED


@given(st.integers(-400, 400), st.integers(0, 400))
def test_events_outside_the_range_change_nothing(offset_days: int, span: int) -> None:
    first = DAY + timedelta(days=offset_days)
    last = first + timedelta(days=min(span, MAX_METRICS_DAYS - 1))
    inside = [e for e in EVENTS if first <= e.created_at.date() <= last]
    assert engagement_metrics(EVENTS, first, last) == engagement_metrics(inside, first, last)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (DAY, DAY - timedelta(days=1), "from"),
        (DAY, DAY + timedelta(days=MAX_METRICS_DAYS), "to"),
    ],
)
def test_backwards_or_overlong_ranges_are_refused(first: date, last: date, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        engagement_metrics(EVENTS, first, last)
    assert list(caught.value.field_errors) == [field]
