"""Engagement metrics for admins (``GET /v1/metrics/engagement``), derived from events only.

Nothing here reads a table of its own: every figure is a count over the events the server
recorded in the range (event_types.py), so a metric added later needs no new column and
applies to the past as well. The range is whole UTC days, both included, at most
``MAX_METRICS_DAYS``, so one request reads a bounded slice of the trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from manyfutures.core.activity.event_types import (
    EPISODE_OPENED,
    EPISODE_PUBLISHED,
    FEEDBACK_SUBMITTED,
    FIRST_EPISODE_OPENED,
    HIGHLIGHT_CREATED,
    PLANNING_NOTE_INCORPORATED,
    PLANNING_NOTE_SUBMITTED,
)
from manyfutures.core.activity.model import UserEvent
from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.use_case import UseCase

MAX_METRICS_DAYS = 92
# What makes a project active in a range: an episode of it published or opened, or a
# reader's note, feedback or highlight on it. Settings changes and pauses do not count.
ACTIVITY = frozenset(
    {
        EPISODE_PUBLISHED,
        EPISODE_OPENED,
        PLANNING_NOTE_SUBMITTED,
        FEEDBACK_SUBMITTED,
        HIGHLIGHT_CREATED,
    }
)
RATINGS = range(1, 6)


@dataclass(frozen=True, slots=True)
class EngagementMetrics:
    first: date
    last: date
    active_projects: int
    episodes_published: int
    episodes_opened: int
    opens: int
    new_readers: int
    median_seconds_to_first_open: float | None
    planning_notes_submitted: int
    planning_notes_incorporated: int
    feedback_count: int
    average_feedback_rating: float | None


def metrics_window(first: date, last: date) -> tuple[datetime, datetime]:
    """``first`` 00:00 UTC to the end of ``last``; ValidationError for a range that runs
    backwards or is longer than MAX_METRICS_DAYS."""
    if first > last:
        raise ValidationError.for_field("from", "from must be on or before to")
    days = (last - first).days + 1
    if days > MAX_METRICS_DAYS:
        raise ValidationError.for_field(
            "to", f"at most {MAX_METRICS_DAYS} days per request ({days} asked)"
        )
    return datetime.combine(first, time(), UTC), datetime.combine(
        last + timedelta(days=1), time(), UTC
    )


def _rating(event: UserEvent) -> int | None:
    rating = event.event_data.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        return None
    return rating


def engagement_metrics(events: Iterable[UserEvent], first: date, last: date) -> EngagementMetrics:
    """The metrics of the events recorded from ``first`` to ``last`` (UTC dates, included);
    events outside the range are ignored, and their order does not matter.

    The time to first open is measured for episodes published in the range, to their first
    ``episode_opened`` in it; an episode nobody opened in the range is left out, not counted
    as zero. Feedback counts only events whose ``rating`` is an integer from 1 to 5.
    """
    since, until = metrics_window(first, last)
    kept = sorted((e for e in events if since <= e.created_at < until), key=lambda e: e.id)
    of_type: dict[str, list[UserEvent]] = {}
    for event in kept:
        of_type.setdefault(event.event_type, []).append(event)

    def named(event_type: str, key: str) -> list[object]:
        return [e.event_data.get(key) for e in of_type.get(event_type, [])]

    published_at = {
        e.event_data.get("episodeId"): e.created_at for e in of_type.get(EPISODE_PUBLISHED, [])
    }
    first_open: dict[object, datetime] = {}
    for event in of_type.get(EPISODE_OPENED, []):
        episode = event.event_data.get("episodeId")
        if episode in published_at and event.created_at >= published_at[episode]:
            first_open[episode] = min(first_open.get(episode, event.created_at), event.created_at)
    waits = [
        (opened - published_at[episode]).total_seconds() for episode, opened in first_open.items()
    ]
    ratings = [r for r in map(_rating, of_type.get(FEEDBACK_SUBMITTED, [])) if r is not None]
    active = {e.event_data.get("projectId") for e in kept if e.event_type in ACTIVITY} - {None}
    return EngagementMetrics(
        first=first,
        last=last,
        active_projects=len(active),
        episodes_published=len(set(named(EPISODE_PUBLISHED, "episodeId"))),
        episodes_opened=len(set(named(EPISODE_OPENED, "episodeId"))),
        opens=len(of_type.get(EPISODE_OPENED, [])),
        new_readers=len(of_type.get(FIRST_EPISODE_OPENED, [])),
        median_seconds_to_first_open=median(waits) if waits else None,
        planning_notes_submitted=len(of_type.get(PLANNING_NOTE_SUBMITTED, [])),
        planning_notes_incorporated=len(of_type.get(PLANNING_NOTE_INCORPORATED, [])),
        feedback_count=len(ratings),
        average_feedback_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


@dataclass(frozen=True, slots=True)
class EngagementQuery:
    actor: Actor
    first: date
    last: date


class GetEngagementMetrics(UseCase[ActivityStore]):
    """Admins only: the figures describe the whole organization."""

    def __call__(self, query: EngagementQuery) -> EngagementMetrics:
        query.actor.require_admin()
        since, until = metrics_window(query.first, query.last)
        with self._uow(query.actor.organization_id) as uow:
            events = uow.events.list_between(since, until)
        return engagement_metrics(events, query.first, query.last)
