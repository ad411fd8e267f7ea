"""A planning note's life through the pipeline: pending → sent → incorporated, handed
back when the run carrying it fails, and what a reader may still do with it (ADR 0016)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.feedback.model import PlanningNote, PlanningNoteStatus
from manyfutures.core.feedback.use_cases import (
    AddPlanningNoteCommand,
    ArchivePlanningNoteCommand,
    EditPlanningNoteCommand,
)
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    RequestEpisodeCommand,
    ResultOutcome,
)
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import (
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
)
from tests.support.builders import T0
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import succeeded


def stored(harness: Harness, note_id: str) -> PlanningNote:
    with harness.uow() as uow:
        note = uow.planning_notes.get(note_id)
    assert note is not None
    return note


def project_with_note(
    harness: Harness, actor: Actor, text: str = "More on storage"
) -> tuple[str, PlanningNote]:
    project = harness.create_project(CreateProjectCommand(actor, "Energy", "Grid"))
    return project.id, harness.add_note(AddPlanningNoteCommand(actor, project.id, text))


def start_run(harness: Harness, actor: Actor, project_id: str) -> str:
    """Generate now: the slot is claimed and its run opened; returns the run id."""
    harness.request_now(RequestEpisodeCommand(actor, project_id))
    harness.tick()
    harness.run_dispatched()
    return harness.generator.requests[-1].run_id


def retry_after_backoff(harness: Harness) -> str:
    harness.clock.advance(timedelta(minutes=5))
    assert harness.tick().items_dispatched == 1
    harness.run_dispatched()
    return harness.generator.requests[-1].run_id


def test_pending_then_sent_with_its_run_then_incorporated_when_the_episode_publishes(
    harness: Harness, alice: Actor
) -> None:
    project_id, note = project_with_note(harness, alice)
    assert note.status is PlanningNoteStatus.PENDING
    run_id = start_run(harness, alice, project_id)
    (request,) = harness.generator.requests
    assert [n.id for n in request.planning_notes] == [note.id]
    sent = stored(harness, note.id)
    assert (sent.status, sent.episode_id, sent.processed_at) == (
        PlanningNoteStatus.SENT,
        request.episode_id,
        None,
    )

    harness.clock.advance(timedelta(minutes=3))
    assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
    done = stored(harness, note.id)
    assert (done.status, done.episode_id, done.processed_at) == (
        PlanningNoteStatus.INCORPORATED,
        request.episode_id,
        T0 + timedelta(minutes=3),
    )
    with harness.uow() as uow:
        (event,) = uow.events.list("planning_note_incorporated")
    assert event.event_data == {
        "planningNoteId": note.id,
        "episodeId": request.episode_id,
        "projectId": project_id,
    }


def test_a_failed_run_hands_its_notes_back_and_the_retry_carries_them_again(
    harness: Harness, alice: Actor
) -> None:
    project_id, note = project_with_note(harness, alice)
    first = start_run(harness, alice, project_id)
    outcome = harness.apply_result(GenerationFailed("org_a", first, "boom", retryable=True))
    assert outcome is ResultOutcome.RETRY_SCHEDULED
    waiting = stored(harness, note.id)
    assert (waiting.status, waiting.episode_id) == (PlanningNoteStatus.PENDING, None)

    second = retry_after_backoff(harness)
    retried = harness.generator.requests[-1]
    assert [n.id for n in retried.planning_notes] == [note.id]
    assert stored(harness, note.id).status is PlanningNoteStatus.SENT
    with harness.uow() as uow:
        run = uow.runs.get(second)
    assert run is not None and run.planning_note_ids == [note.id]


def test_sent_is_pending_again_once_the_slot_fails_for_good_and_the_next_run_carries_it(
    harness: Harness, alice: Actor
) -> None:
    project_id, note = project_with_note(harness, alice)
    run_id = start_run(harness, alice, project_id)
    failed_episode = harness.generator.requests[-1].episode_id
    assert harness.apply_result(GenerationFailed("org_a", run_id, "bad brief", False)) is (
        ResultOutcome.FAILED
    )
    after = stored(harness, note.id)
    assert (after.status, after.episode_id, after.processed_at) == (
        PlanningNoteStatus.PENDING,
        None,
        None,
    )

    harness.clock.advance(timedelta(minutes=1))
    next_run = start_run(harness, alice, project_id)
    request = harness.generator.requests[-1]
    assert request.episode_id != failed_episode
    assert [n.id for n in request.planning_notes] == [note.id]
    harness.apply_result(succeeded(next_run))
    assert stored(harness, note.id).episode_id == request.episode_id


def test_an_expired_generation_lease_hands_the_notes_back_too(
    harness: Harness, alice: Actor
) -> None:
    """Lease recovery fails the attempt through the same decision as a failure callback."""
    project_id, note = project_with_note(harness, alice)
    start_run(harness, alice, project_id)
    harness.clock.advance(timedelta(days=1))
    harness.tick()  # recovers the abandoned run: a failed attempt, retried after a backoff
    with harness.uow() as uow:
        run = uow.runs.get(harness.generator.requests[-1].run_id)
    assert run is not None and not run.is_open
    assert stored(harness, note.id).status is PlanningNoteStatus.PENDING


def test_a_note_archived_while_sent_stays_archived_when_the_episode_publishes(
    harness: Harness, alice: Actor
) -> None:
    project_id, note = project_with_note(harness, alice)
    run_id = start_run(harness, alice, project_id)
    episode_id = harness.generator.requests[-1].episode_id
    archived = harness.archive_note(ArchivePlanningNoteCommand(alice, note.id))
    assert (archived.status, archived.episode_id) == (PlanningNoteStatus.ARCHIVED, episode_id)
    assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
    assert stored(harness, note.id).status is PlanningNoteStatus.ARCHIVED
    with harness.uow() as uow:
        assert uow.events.list("planning_note_incorporated") == []


def test_an_archived_note_is_not_handed_back_by_a_failure(harness: Harness, alice: Actor) -> None:
    project_id, note = project_with_note(harness, alice)
    run_id = start_run(harness, alice, project_id)
    harness.archive_note(ArchivePlanningNoteCommand(alice, note.id))
    harness.apply_result(GenerationFailed("org_a", run_id, "boom", retryable=True))
    assert stored(harness, note.id).status is PlanningNoteStatus.ARCHIVED
    retry_after_backoff(harness)
    assert harness.generator.requests[-1].planning_notes == ()


def test_an_incorporated_note_cannot_be_archived(harness: Harness, alice: Actor) -> None:
    project_id, note = project_with_note(harness, alice)
    harness.apply_result(succeeded(start_run(harness, alice, project_id)))
    with pytest.raises(StateConflictError):
        harness.archive_note(ArchivePlanningNoteCommand(alice, note.id))


def test_the_author_edits_a_pending_note_with_an_audit_row(harness: Harness, alice: Actor) -> None:
    _, note = project_with_note(harness, alice, "More on storage")
    edited = harness.edit_note(EditPlanningNoteCommand(alice, note.id, "  More on batteries "))
    assert (edited.note, edited.status) == ("More on batteries", PlanningNoteStatus.PENDING)
    assert stored(harness, note.id).note == "More on batteries"
    with harness.uow() as uow:
        (audit,) = uow.audit_log.list(action="planning_note.edit")
    assert (audit.user_id, audit.resource_id, audit.old_value, audit.new_value) == (
        alice.user_id,
        note.id,
        "More on storage",
        "More on batteries",
    )


def test_only_the_author_edits_not_even_an_admin(harness: Harness, alice: Actor) -> None:
    writer = harness.member("org_a", "user_writer")
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    note = harness.add_note(AddPlanningNoteCommand(writer, project.id, "Mine"))
    with pytest.raises(PermissionDeniedError):
        harness.edit_note(EditPlanningNoteCommand(alice, note.id, "Theirs"))
    assert stored(harness, note.id).note == "Mine"


def test_a_sent_note_can_no_longer_be_edited(harness: Harness, alice: Actor) -> None:
    project_id, note = project_with_note(harness, alice)
    start_run(harness, alice, project_id)
    with pytest.raises(StateConflictError):
        harness.edit_note(EditPlanningNoteCommand(alice, note.id, "Too late"))
    assert stored(harness, note.id).note == note.note


def test_edits_are_validated_and_scoped_to_the_organization(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    _, note = project_with_note(harness, alice)
    with pytest.raises(ValidationError):
        harness.edit_note(EditPlanningNoteCommand(alice, note.id, "   "))
    with pytest.raises(NotFoundError):
        harness.edit_note(EditPlanningNoteCommand(bob, note.id, "sneaky"))
    assert stored(harness, note.id).note == note.note
