"""Planning notes through their lifecycle, and episode feedback: one verdict per reader
and episode, replaced in place, even when two saves race (both adapters)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from manyfutures.core.feedback.model import PlanningNoteStatus
from manyfutures.core.shared.errors import PermissionDeniedError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

GRACE = 0.3  # how long the other unit of work gets to (wrongly) go ahead


def verdict(feedback_id: str, user_id: str = "user_1", org: str = "org_a", **overrides: object):  # type: ignore[no-untyped-def]
    return b.episode_feedback(
        feedback_id, f"ep_{org}", user_id, org, project_id=f"proj_{org}", **overrides
    )


def test_a_sent_note_keeps_its_status_and_episode(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.planning_notes.add(b.planning_note("note_1", "proj_org_a"))
        uow.commit()
    with storage.uow("org_a") as uow:
        note = uow.planning_notes.get("note_1")
        assert note is not None
        note.send("ep_org_a")
        uow.planning_notes.update(note)
        uow.commit()
    with storage.uow("org_a") as uow:
        (sent,) = uow.planning_notes.list_for_project("proj_org_a", PlanningNoteStatus.SENT)
        assert (sent.id, sent.episode_id) == ("note_1", "ep_org_a")
        assert uow.planning_notes.list_for_project("proj_org_a", PlanningNoteStatus.PENDING) == []


def test_a_verdict_is_stored_and_read_back(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        saved = uow.episode_feedback.save(verdict("fb_1"))
        assert saved == verdict("fb_1")
        assert uow.episode_feedback.get_for_reader("ep_org_a", "user_1") == saved  # own write
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.episode_feedback.get_for_reader("ep_org_a", "user_1") == saved
        assert uow.episode_feedback.get_for_reader("ep_org_a", "user_2") is None


def test_a_second_save_replaces_the_first_in_place(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.episode_feedback.save(verdict("fb_1"))
        uow.commit()
    later = T0 + timedelta(hours=1)
    with storage.uow("org_a") as uow:
        saved = uow.episode_feedback.save(
            verdict("fb_2", rating=1, comment=None, created_at=later, updated_at=later)
        )
        uow.commit()
    assert saved == verdict("fb_1", rating=1, comment=None, created_at=T0, updated_at=later)
    with storage.uow("org_a") as uow:
        assert list(uow.episode_feedback.recent_for_project("proj_org_a", 10)) == [saved]


def test_recent_verdicts_are_the_projects_newest_first_and_limited(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2", "org_a"))
        uow.episodes.add(b.episode("ep_2", "proj_2", "org_a"))
        for n in range(4):
            at = T0 + timedelta(minutes=n)
            uow.episode_feedback.save(verdict(f"fb_{n}", f"user_{n}", created_at=at, updated_at=at))
        uow.episode_feedback.save(
            b.episode_feedback("fb_other", "ep_2", "user_9", project_id="proj_2")
        )
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.episode_feedback.save(verdict("fb_b", org="org_b"))
        uow.commit()
    with storage.uow("org_a") as uow:
        recent = uow.episode_feedback.recent_for_project("proj_org_a", 3)
        assert [f.id for f in recent] == ["fb_3", "fb_2", "fb_1"]
        assert [f.id for f in uow.episode_feedback.recent_for_project("proj_2", 3)] == ["fb_other"]
        assert uow.episode_feedback.recent_for_project("proj_org_b", 3) == []


def test_another_organizations_verdicts_are_invisible_and_unwritable(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_b") as uow:
        uow.episode_feedback.save(verdict("fb_b", org="org_b"))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.episode_feedback.get_for_reader("ep_org_b", "user_1") is None
        with pytest.raises(PermissionDeniedError):
            uow.episode_feedback.save(verdict("fb_x", org="org_b"))


def test_two_racing_saves_by_one_reader_leave_one_verdict_the_later_one(
    storage: Storage,
) -> None:
    """The second save waits for the first to commit and then replaces it; neither fails
    on the unique index and no second row appears."""
    seed(storage)
    saved: list[int] = []

    def second() -> None:
        with storage.uow("org_a") as uow:
            saved.append(uow.episode_feedback.save(verdict("fb_2", rating=2)).rating)
            uow.commit()

    with storage.uow("org_a") as first:
        first.episode_feedback.save(verdict("fb_1", rating=5))
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=GRACE)
        assert saved == []  # still waiting for the first
        first.commit()
    other.join(timeout=10)
    assert saved == [2]
    with storage.uow("org_a") as uow:
        (only,) = uow.episode_feedback.recent_for_project("proj_org_a", 10)
        assert (only.id, only.rating) == ("fb_1", 2)


def test_a_run_sending_notes_waits_for_a_reader_archiving_one(storage: Storage) -> None:
    """The pipeline's locked read of pending notes waits for a reader who holds one, and
    then leaves out the note that reader archived (and sees the other one as it is)."""
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.planning_notes.add(b.planning_note("note_1", "proj_org_a"))
        uow.planning_notes.add(b.planning_note("note_2", "proj_org_a"))
        uow.commit()
    seen: list[list[str]] = []

    def pipeline() -> None:
        with storage.uow("org_a") as uow:
            pending = uow.planning_notes.list_for_update("proj_org_a", PlanningNoteStatus.PENDING)
            seen.append([n.id for n in pending])

    with storage.uow("org_a") as reader:
        note = reader.planning_notes.get_for_update("note_1")
        assert note is not None
        other = threading.Thread(target=pipeline)
        other.start()
        other.join(timeout=GRACE)
        assert seen == []  # waiting for the reader's lock
        note.archive(T0)
        reader.planning_notes.update(note)
        reader.commit()
    other.join(timeout=10)
    assert seen == [["note_2"]]
