"""Materialising delivery slots: a DRAFT episode plus a pending queue item.

Each active project always has its *upcoming* slot in the queue, so the reader
sees "next episode Monday 09:00" and settings changes can move it.

One slot is ensured with ``ensure_slot``. The scheduler fills the slots of many projects
of one organization at once: ``SlotBook`` reads what they need in a few statements, and
``write_slots`` writes them table by table, so the storage can send each table's new
rows as one statement. Both decide a slot's episode by the same rules (``_fill``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class SlotFill:
    """What filling a missing slot writes: its queue item, and its draft if that is new or
    moved to the slot (an episode already scheduled for the slot is written as it is)."""

    item: ScheduleQueueItem
    new_episode: Episode | None = None
    moved_episode: Episode | None = None


def ensure_slot(
    uow: SlotsUnitOfWork, ids: IdGenerator, project: SlotOwner, slot: datetime, now: datetime
) -> ScheduleQueueItem:
    """The queue item for ``slot``, creating it (and its draft) if missing. Idempotent."""
    existing = uow.queue.find_for_slot(project.id, slot)
    if existing is not None:
        return existing
    episode = uow.episodes.find_for_slot(project.id, slot) or _reusable_draft(
        uow.queue.list_for_project(project.id), uow.episodes.get
    )
    fill = _fill(ids, project, slot, episode, now)
    write_slots(uow, [fill])
    return fill.item


class SlotBook:
    """The slots of some projects of one organization, read together: their queue items
    in one statement, the episodes already scheduled for the wanted slots in another, and
    (only if a cancelled slot left one behind) the drafts they may reuse in a third.

    ``fill`` decides a slot as ``ensure_slot`` would, and keeps what it decided, so a later
    slot sees the earlier ones: a reused draft is not handed out twice, and an episode an
    earlier fill moved away from a slot is no longer found at it. So each episode is held
    once, by id, whichever read found it.
    """

    def __init__(
        self,
        items: dict[str, list[ScheduleQueueItem]],
        at_slots: dict[tuple[str, datetime], str],
        episodes: dict[str, Episode],
    ) -> None:
        self._items = items
        self._at_slots = at_slots
        self._episodes = episodes

    @classmethod
    def read(cls, uow: SlotsUnitOfWork, wanted: Sequence[tuple[str, datetime]]) -> SlotBook:
        """What filling the ``wanted`` (project id, slot) pairs needs to know."""
        items: dict[str, list[ScheduleQueueItem]] = {project_id: [] for project_id, _ in wanted}
        for item in uow.queue.list_for_projects(list(items)):
            items[item.project_id].append(item)
        missing = [(p, slot) for p, slot in wanted if _live_item(items[p], slot) is None]
        at_slot = list(uow.episodes.find_for_slots(missing)) if missing else []
        episodes = {e.id: e for e in at_slot}
        reusable = [episode_id for mine in items.values() for episode_id in _draft_ids(mine)]
        for draft in uow.episodes.get_many(reusable) if reusable else ():
            episodes.setdefault(draft.id, draft)
        return cls(items, {(e.project_id, e.scheduled_for): e.id for e in at_slot}, episodes)

    def fill(
        self, ids: IdGenerator, project: SlotOwner, slot: datetime, now: datetime
    ) -> SlotFill | None:
        """What filling ``slot`` writes (``write_slots``), or None if it has a live item."""
        mine = self._items[project.id]
        if _live_item(mine, slot) is not None:
            return None
        episode = self._scheduled_at(project.id, slot) or _reusable_draft(mine, self._episodes.get)
        fill = _fill(ids, project, slot, episode, now)
        bisect.insort(mine, fill.item, key=lambda i: (i.scheduled_for, i.id))
        return fill

    def _scheduled_at(self, project_id: str, slot: datetime) -> Episode | None:
        """The episode scheduled for ``slot``, unless an earlier fill moved it to another."""
        episode = self._episodes.get(self._at_slots.get((project_id, slot), ""))
        return episode if episode is not None and episode.scheduled_for == slot else None


def write_slots(uow: SlotsUnitOfWork, fills: Sequence[SlotFill]) -> None:
    """Write filled slots table by table: new episodes, moved ones, then the queue items
    (each needs its episode first), so consecutive inserts into one table can be sent as
    one statement."""
    for fill in fills:
        if fill.new_episode is not None:
            uow.episodes.add(fill.new_episode)
    for fill in fills:
        if fill.moved_episode is not None:
            uow.episodes.update(fill.moved_episode)
    for fill in fills:
        uow.queue.add(fill.item)


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


def _fill(
    ids: IdGenerator, project: SlotOwner, slot: datetime, episode: Episode | None, now: datetime
) -> SlotFill:
    """A missing slot's writes, given the episode found for it (at the slot, or a reusable
    draft), if any: otherwise a new draft."""
    if episode is None:
        episode = Episode(
            id=ids.new_id("ep"),
            organization_id=project.organization_id,
            project_id=project.id,
            scheduled_for=slot,
            created_at=now,
            updated_at=now,
        )
        return SlotFill(new_queue_item(ids, project, episode.id, slot, now), new_episode=episode)
    item = new_queue_item(ids, project, episode.id, slot, now)
    if episode.scheduled_for == slot:
        return SlotFill(item)
    episode.scheduled_for = slot
    episode.updated_at = now
    return SlotFill(item, moved_episode=episode)


def _live_item(items: Sequence[ScheduleQueueItem], slot: datetime) -> ScheduleQueueItem | None:
    """As ``queue.find_for_slot``, among a project's items."""
    return next(
        (i for i in items if i.scheduled_for == slot and i.status is not QueueStatus.CANCELLED),
        None,
    )


def _draft_ids(items: Sequence[ScheduleQueueItem]) -> list[str]:
    """The episodes cancelled slots (pause, reschedule) left behind that no other slot
    holds, newest slot first: the drafts a new slot may reuse rather than orphan.

    An episode that another slot still holds is ruled out here, before its row is fetched.
    """
    held = {item.episode_id for item in items if item.status is not QueueStatus.CANCELLED}
    return [
        item.episode_id
        for item in reversed(items)
        if item.status is QueueStatus.CANCELLED
        and not item.attempt_count
        and item.episode_id not in held
    ]


def _reusable_draft(
    items: Sequence[ScheduleQueueItem], episode: Callable[[str], Episode | None]
) -> Episode | None:
    """A draft left behind by a cancelled slot is reused, not orphaned: the newest that is
    still a DRAFT. ``items`` are the project's, oldest slot first."""
    for episode_id in _draft_ids(items):
        found = episode(episode_id)
        if found is not None and found.status is EpisodeStatus.DRAFT:
            return found
    return None
