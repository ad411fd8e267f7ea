"""Materialising delivery slots: a DRAFT episode plus a pending queue item.

Each active project always has its *upcoming* slot in the queue, so the reader
sees "next episode Monday 09:00" and settings changes can move it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from manyfutures.core.episodes.episode import Episode, EpisodeStatus
from manyfutures.core.scheduling.ports import SlotsUnitOfWork
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.ports import IdGenerator


class SlotOwner(Protocol):
    """What a slot needs of its project; scheduling sits below projects and never imports them."""

    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...


def ensure_slot(
    uow: SlotsUnitOfWork, ids: IdGenerator, project: SlotOwner, slot: datetime, now: datetime
) -> ScheduleQueueItem:
    """The queue item for ``slot``, creating it (and its draft) if missing. Idempotent."""
    existing = uow.queue.find_for_slot(project.id, slot)
    if existing is not None:
        return existing
    episode = uow.episodes.find_for_slot(project.id, slot) or _reusable_draft(uow, project.id)
    if episode is None:
        episode = Episode(
            id=ids.new_id("ep"),
            organization_id=project.organization_id,
            project_id=project.id,
            scheduled_for=slot,
            created_at=now,
            updated_at=now,
        )
        uow.episodes.add(episode)
    elif episode.scheduled_for != slot:
        episode.scheduled_for = slot
        episode.updated_at = now
        uow.episodes.update(episode)
    item = new_queue_item(ids, project, episode.id, slot, now)
    uow.queue.add(item)
    return item


def new_queue_item(
    ids: IdGenerator, project: SlotOwner, episode_id: str, slot: datetime, now: datetime
) -> ScheduleQueueItem:
    """A pending item for ``slot``, claimable from the slot's own time."""
    return ScheduleQueueItem(
        id=ids.new_id("queue"),
        organization_id=project.organization_id,
        project_id=project.id,
        episode_id=episode_id,
        scheduled_for=slot,
        available_at=slot,
        created_at=now,
    )


def _reusable_draft(uow: SlotsUnitOfWork, project_id: str) -> Episode | None:
    """A draft left behind by a cancelled slot (pause, reschedule) is reused, not orphaned.

    The scheduler runs this for every due project, so the queue is read once and an
    episode that another slot still holds is ruled out before its row is fetched.
    """
    items = uow.queue.list_for_project(project_id)
    held = {item.episode_id for item in items if item.status is not QueueStatus.CANCELLED}
    for item in reversed(items):
        if item.status is not QueueStatus.CANCELLED or item.attempt_count:
            continue
        if item.episode_id in held:
            continue
        episode = uow.episodes.get(item.episode_id)
        if episode is not None and episode.status is EpisodeStatus.DRAFT:
            return episode
    return None
