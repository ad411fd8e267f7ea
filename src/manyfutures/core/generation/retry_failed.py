"""The operator's retry of one organization's failed episodes, after an outage.

``manyfutures episodes retry-failed ORG``: when n8n was down past every attempt, or a
day at the cost limit failed its held-back slots, the readers' episodes stay FAILED
until each reader presses "retry". The operator does it for them, in the organization's
own unit of work (no cross-tenant path), exactly as the reader's retry does
(``RetryEpisode``): the episode back to DRAFT, a new slot due now with its attempts
counted afresh, an audit row with no user (the system acted). Refused like the
reader's while the organization's daily breaker is open: the gate would only block
every slot again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.episodes.episode import Episode, EpisodeStatus
from manyfutures.core.generation.daily_budget import refuse_spending_while_open
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.scheduling.slots import new_queue_item
from manyfutures.core.shared.errors import NotFoundError, ValidationError
from manyfutures.core.shared.paging import MAX_PAGE_SIZE
from manyfutures.core.shared.use_case import UseCase

MAX_RETRIED = 1000
# The queue holds one live item per project and slot: a project's second failed episode
# retried in the same transaction takes the next slot, this much later.
SLOT_STEP = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class RetryFailedEpisodesCommand:
    organization_id: str
    limit: int = 100
    # Only episodes that failed at or after this moment (their last change).
    failed_since: datetime | None = None
    # Say what would be retried, change nothing.
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class RetriedEpisode:
    episode_id: str
    project_id: str
    failed_at: datetime
    last_error: str | None


class RetryFailedEpisodes(UseCase[GenerationUnitOfWork]):
    """Every FAILED episode of the organization's active projects, newest project first,
    at most ``limit``; paused, archived or deleted projects keep theirs."""

    def __call__(self, command: RetryFailedEpisodesCommand) -> list[RetriedEpisode]:
        if not 1 <= command.limit <= MAX_RETRIED:
            raise ValidationError.for_field("limit", f"limit must be between 1 and {MAX_RETRIED}")
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            if uow.organizations.get() is None:
                raise NotFoundError("organization", command.organization_id)
            if not command.dry_run:
                refuse_spending_while_open(uow, now)
            record = Recorder(uow, self._ids, None, now)
            retried: list[RetriedEpisode] = []
            for project, episodes in _failed_by_project(uow, command):
                for step, episode in enumerate(episodes[: command.limit - len(retried)]):
                    retried.append(
                        RetriedEpisode(
                            episode.id,
                            project.id,
                            episode.updated_at,
                            episode.generation_errors[-1] if episode.generation_errors else None,
                        )
                    )
                    if command.dry_run:
                        continue
                    episode.reset_for_retry(now)
                    uow.episodes.update(episode)
                    slot = now + step * SLOT_STEP
                    uow.queue.add(new_queue_item(self._ids, project, episode.id, slot, now))
                    record.audit("episode.retry", "episode", episode.id, old="FAILED", new="DRAFT")
                if len(retried) >= command.limit:
                    break
            if not command.dry_run:
                uow.commit()
            return retried


def _failed_by_project(
    uow: GenerationUnitOfWork, command: RetryFailedEpisodesCommand
) -> Iterator[tuple[Project, list[Episode]]]:
    after: str | None = None
    while True:
        page = uow.projects.list(MAX_PAGE_SIZE, after)
        for project in page:
            if project.status is not ProjectStatus.ACTIVE:
                continue
            failed = [
                episode
                for episode in uow.episodes.recent_with_status(
                    project.id, EpisodeStatus.FAILED, command.limit
                )
                if command.failed_since is None or episode.updated_at >= command.failed_since
            ]
            if failed:
                yield project, failed
        if len(page) < MAX_PAGE_SIZE:
            return
        after = page[-1].id
