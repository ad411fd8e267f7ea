"""Reader input: planning notes that steer the next episode, and tracked events."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manyfutures.core.engagement.model import AuditLog, PlanningNote, PlanningNoteStatus, UserEvent
from manyfutures.core.engagement.recording import record_audit, record_event
from manyfutures.core.identity.model import Actor
from manyfutures.core.identity.use_cases import require_admin
from manyfutures.core.projects.use_cases import check_page_size, load_project
from manyfutures.core.shared.errors import NotFoundError, PermissionDeniedError, ValidationError
from manyfutures.core.shared.use_case import UseCase

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
MAX_EVENT_DATA_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class AddPlanningNoteCommand:
    actor: Actor
    project_id: str
    note: str


class AddPlanningNote(UseCase):
    def __call__(self, command: AddPlanningNoteCommand) -> PlanningNote:
        text = PlanningNote.validate_text(command.note)
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
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
            record_audit(
                uow,
                self._ids,
                now,
                command.actor.user_id,
                "planning_note.create",
                "planning_note",
                note.id,
                new=text,
            )
            record_event(
                uow,
                self._ids,
                now,
                command.actor.user_id,
                "feedback_submitted",
                {"projectId": project.id, "planningNoteId": note.id},
            )
            uow.commit()
            return note


@dataclass(frozen=True, slots=True)
class ListPlanningNotesQuery:
    actor: Actor
    project_id: str
    status: PlanningNoteStatus | None = None


class ListPlanningNotes(UseCase):
    def __call__(self, query: ListPlanningNotesQuery) -> Sequence[PlanningNote]:
        with self._uow(query.actor.organization_id) as uow:
            load_project(uow, query.project_id)
            return uow.planning_notes.list_for_project(query.project_id, query.status)


@dataclass(frozen=True, slots=True)
class ArchivePlanningNoteCommand:
    actor: Actor
    note_id: str


class ArchivePlanningNote(UseCase):
    """Authors and admins may archive a note until it has been incorporated."""

    def __call__(self, command: ArchivePlanningNoteCommand) -> PlanningNote:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            note = uow.planning_notes.get(command.note_id)
            if note is None:
                raise NotFoundError("planning note", command.note_id)
            if note.user_id != command.actor.user_id and not command.actor.is_admin:
                raise PermissionDeniedError("only the note's author or an admin may archive it")
            before = note.status.value
            note.archive(now)
            uow.planning_notes.update(note)
            record_audit(
                uow,
                self._ids,
                now,
                command.actor.user_id,
                "planning_note.archive",
                "planning_note",
                note.id,
                old=before,
                new=note.status.value,
            )
            uow.commit()
            return note


@dataclass(frozen=True, slots=True)
class TrackEventCommand:
    actor: Actor
    event_type: str
    event_data: dict[str, Any] = field(default_factory=dict)


def validate_event(event_type: str, event_data: object) -> dict[str, Any]:
    if not isinstance(event_type, str) or not EVENT_TYPE_PATTERN.match(event_type):
        raise ValidationError.for_field(
            "eventType", "eventType must match ^[a-z][a-z0-9_]{2,63}$ (e.g. episode_opened)"
        )
    if not isinstance(event_data, dict):
        raise ValidationError.for_field("eventData", "eventData must be a JSON object")
    try:
        size = len(json.dumps(event_data, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise ValidationError.for_field("eventData", "eventData must be plain JSON") from None
    if size > MAX_EVENT_DATA_BYTES:
        raise ValidationError.for_field(
            "eventData", f"eventData is {size} bytes; the limit is {MAX_EVENT_DATA_BYTES}"
        )
    return event_data


class TrackEvent(UseCase):
    def __call__(self, command: TrackEventCommand) -> UserEvent:
        data = validate_event(command.event_type, command.event_data)
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            event = record_event(
                uow, self._ids, now, command.actor.user_id, command.event_type, data
            )
            uow.commit()
            return event


@dataclass(frozen=True, slots=True)
class ListAuditLogQuery:
    """Admins read who changed what; ``since`` is inclusive, ``until`` exclusive."""

    actor: Actor
    action: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after_id: str | None = None


class ListAuditLog(UseCase):
    """Newest first, paged by id (ids sort by time)."""

    def __call__(self, query: ListAuditLogQuery) -> Sequence[AuditLog]:
        require_admin(query.actor)
        limit = check_page_size(query.limit)
        if query.since and query.until and query.since >= query.until:
            raise ValidationError.for_field("from", "from must be before to")
        with self._uow(query.actor.organization_id) as uow:
            return uow.audit_log.list(
                action=query.action,
                resource_id=query.resource_id,
                since=query.since,
                until=query.until,
                limit=limit,
                after_id=query.after_id,
            )
