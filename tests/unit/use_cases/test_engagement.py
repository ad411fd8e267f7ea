"""Planning notes and tracked events."""

from __future__ import annotations

import pytest

from manyfutures.core.activity.use_cases import TrackEventCommand
from manyfutures.core.feedback.model import PlanningNoteStatus
from manyfutures.core.feedback.use_cases import (
    AddPlanningNoteCommand,
    ArchivePlanningNoteCommand,
    ListPlanningNotesQuery,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import (
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
)
from tests.unit.use_cases.conftest import Harness


@pytest.fixture
def project_id(harness: Harness, alice: Actor) -> str:
    return harness.create_project(CreateProjectCommand(alice, "Energy", "Grid")).id


def test_a_note_is_stored_pending_with_audit_and_event(
    harness: Harness, alice: Actor, project_id: str
) -> None:
    note = harness.add_note(AddPlanningNoteCommand(alice, project_id, "  More on policy "))
    assert (note.note, note.status, note.user_id) == (
        "More on policy",
        PlanningNoteStatus.PENDING,
        alice.user_id,
    )
    listed = harness.list_notes(ListPlanningNotesQuery(alice, project_id))
    assert [n.id for n in listed] == [note.id]
    with harness.uow() as uow:
        assert [a.resource_id for a in uow.audit_log.list(action="planning_note.create")] == [
            note.id
        ]
        (event,) = uow.events.list("planning_note_submitted")
        assert event.event_data == {"projectId": project_id, "planningNoteId": note.id}


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_empty_or_oversized_notes_are_rejected(
    harness: Harness, alice: Actor, project_id: str, text: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        harness.add_note(AddPlanningNoteCommand(alice, project_id, text))
    assert "note" in caught.value.field_errors
    assert list(harness.list_notes(ListPlanningNotesQuery(alice, project_id))) == []


def test_a_note_on_another_organizations_project_is_not_found(
    harness: Harness, bob: Actor, project_id: str
) -> None:
    with pytest.raises(NotFoundError):
        harness.add_note(AddPlanningNoteCommand(bob, project_id, "sneaky"))


def test_only_the_author_or_an_admin_archives(
    harness: Harness, alice: Actor, project_id: str
) -> None:
    writer = harness.member("org_a", "user_writer")
    other = harness.member("org_a", "user_other")
    note = harness.add_note(AddPlanningNoteCommand(writer, project_id, "More charts"))
    with pytest.raises(PermissionDeniedError):
        harness.archive_note(ArchivePlanningNoteCommand(other, note.id))
    archived = harness.archive_note(ArchivePlanningNoteCommand(alice, note.id))
    assert archived.status is PlanningNoteStatus.ARCHIVED
    with pytest.raises(StateConflictError):
        harness.archive_note(ArchivePlanningNoteCommand(writer, note.id))
    pending = harness.list_notes(
        ListPlanningNotesQuery(alice, project_id, PlanningNoteStatus.PENDING)
    )
    assert list(pending) == []


def test_events_are_recorded_for_the_callers_organization(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    event = harness.track_event(TrackEventCommand(alice, "episode_opened", {"episodeId": "e"}))
    with harness.uow("org_a") as uow:
        assert list(uow.events.list("episode_opened")) == [event]
    with harness.uow("org_b") as uow:
        assert list(uow.events.list("episode_opened")) == []


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("Bad", {}, "eventType"),
        ("ab", {}, "eventType"),
        ("1abc", {}, "eventType"),
        ("a" * 65, {}, "eventType"),
        ("opened\n", {}, "eventType"),  # re.match would let $ pass before the newline
        ("ok_event", ["not", "an", "object"], "eventData"),
        ("ok_event", {"blob": "x" * 8200}, "eventData"),
    ],
)
def test_bad_events_are_rejected(
    harness: Harness, event_type: str, data: object, field: str
) -> None:
    actor = harness.member("org_a", "user_x", Role.MEMBER)
    with pytest.raises(ValidationError) as caught:
        harness.track_event(TrackEventCommand(actor, event_type, data))  # type: ignore[arg-type]
    assert field in caught.value.field_errors
