"""The day's end for slots its cost limit held back: skipped, not run late.

A slot blocked by an open breaker waits for the rest of its UTC day, in case an admin
raises the limit (daily_budget.py, ``ResumeBlockedSlots``). Once that day is over it
is not run the next day, where it would spend the new day's budget on yesterday's
episode and arrive late: the item is cancelled, its DRAFT episode FAILED with
``SKIPPED``, and the reader told, once per project, in the app. The project's next
occurrence goes on as normal: it is usually in the queue already (each project keeps
its upcoming slot there); a project the scheduler has not yet advanced past the
skipped slot (its beat was behind, or stopped over the day) is advanced here, in the
same transaction, or advancing it later would put the skipped slot back in the queue.

The scheduler finds these items across organizations on its beat (a cross-tenant
read, ADR 0007); each organization's are then closed in its own unit of work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs.budget import day_start as start_of_day
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.projects.advance import advance_to_next_occurrence
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.scheduling.ports import SchedulerGateway
from manyfutures.core.scheduling.queue import QueueStatus, ScheduleQueueItem
from manyfutures.core.shared.app_pages import episode_page
from manyfutures.core.shared.errors import DuplicateError, VersionConflictError
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

logger = logging.getLogger(__name__)
SKIPPED = "skipped: daily cost limit reached"
# Per beat: a backlog (a scheduler down over midnight) is worked off over a few beats.
DEFAULT_BATCH = 500


class SkipLapsedBlockedSlots(UseCase[GenerationUnitOfWork]):
    """Close the blocked slots whose UTC day is over; returns how many it closed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[GenerationUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        gateway: SchedulerGateway,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._gateway = gateway
        self._batch = batch

    def __call__(self) -> int:
        now = self._clock.now()
        day_start = start_of_day(now)
        by_organization: dict[str, list[str]] = defaultdict(list)
        for ref in self._gateway.blocked_items_before(day_start, self._batch):
            by_organization[ref.organization_id].append(ref.resource_id)
        skipped = 0
        for organization_id, item_ids in by_organization.items():
            try:
                skipped += self._skip(organization_id, item_ids, day_start, now)
            except (DuplicateError, VersionConflictError):
                # A project advanced concurrently; nothing was written, the next beat retries.
                logger.info("blocked slots of %s: a project moved meanwhile", organization_id)
            except Exception:
                # One organization's failure (a deadlock, say) rolled back its own unit of
                # work only; the others' slots, and this beat's claims, must not wait on it.
                logger.exception("blocked slots of %s: not skipped this beat", organization_id)
        return skipped

    def _skip(
        self, organization_id: str, item_ids: Sequence[str], day_start: datetime, now: datetime
    ) -> int:
        skipped: dict[str, list[str]] = defaultdict(list)  # project id -> episode ids
        projects: dict[str, Project | None] = {}
        with self._uow(organization_id) as uow:
            for item_id in item_ids:
                item = uow.queue.get_for_update(item_id)
                # Read again once held: an admin's raise may have resumed it since.
                if (
                    item is None
                    or item.status is not QueueStatus.BLOCKED
                    or item.available_at >= day_start
                ):
                    continue
                item.cancel()
                uow.queue.update(item)
                episode = uow.episodes.get(item.episode_id)
                if episode is not None and episode.status is EpisodeStatus.DRAFT:
                    episode.skip(SKIPPED, now)
                    uow.episodes.update(episode)
                skipped[item.project_id].append(item.episode_id)
                if item.project_id not in projects:
                    projects[item.project_id] = uow.projects.get(item.project_id)
                project = projects[item.project_id]
                if project is not None:
                    self._advance_past(uow, project, item, now)
            if not skipped:
                return 0
            record = Recorder(uow, self._ids, None, now)
            for project_id, episode_ids in skipped.items():
                project = projects[project_id]
                if project is not None and not project.is_deleted:
                    record.notify(
                        project.created_by,
                        "episode_skipped",
                        "An episode was skipped",
                        f"{project.title}: the daily AI cost limit was reached, so "
                        f"{_episodes(len(episode_ids))} not written. The next one comes "
                        "as scheduled.",
                        link=episode_page(episode_ids[0]),
                    )
                record.event(
                    "episodes_skipped",
                    {"projectId": project_id, "episodeIds": episode_ids, "reason": SKIPPED},
                )
            uow.commit()
        return sum(len(episode_ids) for episode_ids in skipped.values())

    def _advance_past(
        self,
        uow: GenerationUnitOfWork,
        project: Project,
        item: ScheduleQueueItem,
        now: datetime,
    ) -> None:
        """Move an active project whose next slot is still the skipped one (or earlier) on
        to its next occurrence, as the scheduler's advance would (projects/advance.py)."""
        due = project.next_scheduled_at
        if project.status is not ProjectStatus.ACTIVE or due is None or due > item.scheduled_for:
            return
        advance_to_next_occurrence(uow, self._ids, project, now)


def _episodes(count: int) -> str:
    return "one episode was" if count == 1 else f"{count} episodes were"
