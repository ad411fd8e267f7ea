"""What a reader's page shows, each read in one unit of work: a project with its
episodes, and an episode opened for reading with everything beside it.

The API answers the same questions one resource at a time (``ListEpisodePage``,
``GetEpisode``, ``ListHighlights``, ``ListPlanningNotes``); a server-rendered page needs
them together, and reading them in one transaction keeps them consistent and the page
one round of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.episodes.episode import Block, Episode
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.highlights import FEATURE as HIGHLIGHTS
from manyfutures.core.feedback.model import PlanningNote, PlanningNoteStatus
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.generation.use_cases import load_episode_and_project, record_opening
from manyfutures.core.projects.model import Project
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import DuplicateError
from manyfutures.core.shared.paging import check_page_size
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class ProjectEpisodesQuery:
    actor: Actor
    project_id: str
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ProjectEpisodes:
    project: Project
    episodes: tuple[Episode, ...]  # newest first


class ListProjectEpisodes(UseCase[GenerationUnitOfWork]):
    """A project and its latest episodes, with their status, stage and percent."""

    def __call__(self, query: ProjectEpisodesQuery) -> ProjectEpisodes:
        limit = check_page_size(query.limit)
        with self._uow(query.actor.organization_id) as uow:
            project = load_project(uow, query.project_id)
            return ProjectEpisodes(project, tuple(uow.episodes.list_for_project(project.id, limit)))


@dataclass(frozen=True, slots=True)
class ReadEpisodeQuery:
    actor: Actor
    episode_id: str
    # False when a page is shown again beside a refused form: the reader did not open it
    # again, so no second ``episode_opened`` is recorded.
    opening: bool = True


@dataclass(frozen=True, slots=True)
class EpisodeReading:
    episode: Episode
    project: Project
    blocks: tuple[Block, ...]
    # The organization's highlights on the episode, oldest first; None without the feature.
    highlights: tuple[Highlight, ...] | None
    # The project's notes waiting for its next episode, oldest first.
    pending_notes: tuple[PlanningNote, ...]


class ReadEpisode(UseCase[GenerationUnitOfWork]):
    """An episode opened by a reader, recorded as ``GetEpisode`` records it (the first
    opening once per reader, racing opens included), with its highlights where the
    organization has the feature and the notes that will steer the project's next one."""

    def __call__(self, query: ReadEpisodeQuery) -> EpisodeReading:
        try:
            return self._open(query)
        except DuplicateError:
            return self._open(query)

    def _open(self, query: ReadEpisodeQuery) -> EpisodeReading:
        actor = query.actor
        with self._uow(actor.organization_id) as uow:
            episode, project = load_episode_and_project(uow, query.episode_id)
            organization = uow.organizations.get()
            highlights = (
                tuple(uow.highlights.list_for_episode(episode.id))
                if organization is not None and organization.has_feature(HIGHLIGHTS)
                else None
            )
            reading = EpisodeReading(
                episode=episode,
                project=project,
                blocks=tuple(uow.blocks.list_for_episode(episode.id)),
                highlights=highlights,
                pending_notes=tuple(
                    uow.planning_notes.list_for_project(project.id, PlanningNoteStatus.PENDING)
                ),
            )
            if not query.opening:
                return reading
            record = Recorder(uow, self._ids, actor.user_id, self._clock.now())
            if record_opening(uow, record, actor.user_id, episode):
                uow.commit()
            return reading
