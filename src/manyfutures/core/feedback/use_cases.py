"""Reader input: planning notes that steer the next episode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manyfutures.core.activity.event_types import PLANNING_NOTE_SUBMITTED
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.feedback.model import PlanningNote, PlanningNoteStatus
from manyfutures.core.feedback.ports import FeedbackUnitOfWork
from manyfutures.core.projects.use_cases import load_project
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, PermissionDeniedError
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


class ArchivePlanningNote(UseCase[FeedbackUnitOfWork]):
    """Authors and admins may archive a note until it has been incorporated."""

    def __call__(self, command: ArchivePlanningNoteCommand) -> PlanningNote:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            note = uow.planning_notes.get(command.note_id)
            if note is None:
                raise NotFoundError("planning note", command.note_id)
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
