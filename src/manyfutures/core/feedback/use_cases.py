"""Reader input: planning notes that steer the next episode, and verdicts on the last ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manyfutures.core.activity.event_types import PLANNING_NOTE_SUBMITTED
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.feedback.model import EpisodeFeedback, PlanningNote, PlanningNoteStatus
from manyfutures.core.feedback.ports import FeedbackUnitOfWork
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import (
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
)
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class AddPlanningNoteCommand:
    actor: Actor
    project_id: str
    note: str


class AddPlanningNote(UseCase[FeedbackUnitOfWork]):
    def __call__(self, command: AddPlanningNoteCommand) -> PlanningNote:
        text = PlanningNote.validate_text(command.note)
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            project = load_project(uow, command.project_id)
            note = PlanningNote(
                id=self._ids.new_id("note"),
                organization_id=project.organization_id,
                project_id=project.id,
                user_id=command.actor.user_id,
                note=text,
                created_at=now,
            )
            uow.planning_notes.add(note)
            record.audit("planning_note.create", "planning_note", note.id, new=text)
            record.event(
                PLANNING_NOTE_SUBMITTED, {"projectId": project.id, "planningNoteId": note.id}
            )
            uow.commit()
            return note


@dataclass(frozen=True, slots=True)
class ListPlanningNotesQuery:
    actor: Actor
    project_id: str
    status: PlanningNoteStatus | None = None


class ListPlanningNotes(UseCase[FeedbackUnitOfWork]):
    def __call__(self, query: ListPlanningNotesQuery) -> Sequence[PlanningNote]:
        with self._uow(query.actor.organization_id) as uow:
            load_project(uow, query.project_id)
            return uow.planning_notes.list_for_project(query.project_id, query.status)


@dataclass(frozen=True, slots=True)
class ArchivePlanningNoteCommand:
    actor: Actor
    note_id: str


def _load_note(uow: FeedbackUnitOfWork, note_id: str) -> PlanningNote:
    """Locked: a run sending the note at the same moment waits, or is waited for."""
    note = uow.planning_notes.get_for_update(note_id)
    if note is None:
        raise NotFoundError("planning note", note_id)
    return note


class ArchivePlanningNote(UseCase[FeedbackUnitOfWork]):
    """Authors and admins may archive a note until it has been incorporated, a sent one
    too: it leaves every later run, and the run carrying it finishes (ADR 0016)."""

    def __call__(self, command: ArchivePlanningNoteCommand) -> PlanningNote:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            note = _load_note(uow, command.note_id)
            if note.user_id != command.actor.user_id and not command.actor.is_admin:
                raise PermissionDeniedError("only the note's author or an admin may archive it")
            before = note.status.value
            note.archive(now)
            uow.planning_notes.update(note)
            record.audit(
                "planning_note.archive", "planning_note", note.id, old=before, new=note.status.value
            )
            uow.commit()
            return note


@dataclass(frozen=True, slots=True)
class EditPlanningNoteCommand:
    actor: Actor
    note_id: str
    note: str


class EditPlanningNote(UseCase[FeedbackUnitOfWork]):
    """Only the author rewrites their note (an admin may archive it, not put words in it),
    and only while it is pending: a sent note's text is what a writer read."""

    def __call__(self, command: EditPlanningNoteCommand) -> PlanningNote:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            note = _load_note(uow, command.note_id)
            if note.user_id != command.actor.user_id:
                raise PermissionDeniedError("only the note's author may edit it")
            before = note.note
            note.edit(command.note)
            uow.planning_notes.update(note)
            record.audit("planning_note.edit", "planning_note", note.id, old=before, new=note.note)
            uow.commit()
            return note


@dataclass(frozen=True, slots=True)
class SubmitEpisodeFeedbackCommand:
    actor: Actor
    episode_id: str
    rating: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SubmittedFeedback:
    feedback: EpisodeFeedback
    replaced: bool  # the reader had rated this episode before


class SubmitEpisodeFeedback(UseCase[FeedbackUnitOfWork]):
    """A reader rates a published episode; a second verdict replaces their first. The
    writer of the project's next episode reads the latest ones (``recentFeedback``)."""

    def __call__(self, command: SubmitEpisodeFeedbackCommand) -> SubmittedFeedback:
        rating, comment = EpisodeFeedback.validate(command.rating, command.comment)
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            episode = uow.episodes.get(command.episode_id)
            if episode is None:
                raise NotFoundError("episode", command.episode_id)
            load_project(uow, episode.project_id)  # a deleted project's episodes are gone
            if episode.status is not EpisodeStatus.PUBLISHED:
                raise StateConflictError(
                    f"episode {episode.id} is {episode.status.value}: only a published "
                    "episode can be rated"
                )
            previous = uow.episode_feedback.get_for_reader(episode.id, command.actor.user_id)
            stored = uow.episode_feedback.save(
                EpisodeFeedback(
                    id=self._ids.new_id("fb"),
                    organization_id=episode.organization_id,
                    project_id=episode.project_id,
                    episode_id=episode.id,
                    user_id=command.actor.user_id,
                    rating=rating,
                    comment=comment,
                    created_at=now,
                    updated_at=now,
                )
            )
            record.audit(
                "episode_feedback.submit",
                "episode_feedback",
                stored.id,
                old=None if previous is None else _verdict(previous),
                new=_verdict(stored),
            )
            record.event(
                "feedback_submitted",
                {
                    "episodeId": episode.id,
                    "projectId": episode.project_id,
                    "rating": stored.rating,
                    "replaced": previous is not None,
                },
            )
            uow.commit()
            return SubmittedFeedback(stored, replaced=previous is not None)


def _verdict(feedback: EpisodeFeedback) -> dict[str, object]:
    return {"rating": feedback.rating, "comment": feedback.comment}
