"""``runs.slot_of_item``: a queue item with its episode and project in one read.

It must answer exactly what the three separate reads answer (``queue.get``,
``episodes.get``, ``projects.get``), deleted projects, other organizations' rows and the
unit of work's own unsent writes included, since the start job and the result callback
now decide on it alone.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.shared.errors import VersionConflictError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0


def queued(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
        uow.commit()


def test_the_slot_is_what_the_three_reads_answer(storage: Storage) -> None:
    queued(storage)
    with storage.uow("org_a") as uow:
        slot = uow.runs.slot_of_item("queue_1")
        assert slot is not None
        assert slot.item == uow.queue.get("queue_1")
        assert slot.episode == uow.episodes.get("ep_org_a")
        assert slot.project == uow.projects.get("proj_org_a")
        assert slot.project is not None and slot.episode is not None


def test_no_item_no_slot_and_another_organizations_item_is_no_item(storage: Storage) -> None:
    queued(storage)
    with storage.uow("org_a") as uow:
        assert uow.runs.slot_of_item("queue_missing") is None
    with storage.uow("org_b") as uow:
        assert uow.runs.slot_of_item("queue_1") is None


def test_a_deleted_project_is_no_project(storage: Storage) -> None:
    queued(storage)
    with storage.uow("org_a") as uow:
        project = uow.projects.get("proj_org_a")
        assert project is not None
        project.deleted_at = T0
        uow.projects.update(project)
        uow.commit()
    with storage.uow("org_a") as uow:
        slot = uow.runs.slot_of_item("queue_1")
        assert slot is not None
        assert (slot.project, slot.episode is not None) == (None, True)


def test_the_unit_of_works_own_writes_are_read(storage: Storage) -> None:
    queued(storage)
    with storage.uow("org_a") as uow:
        episode = uow.episodes.get("ep_org_a")
        assert episode is not None
        uow.episodes.update(replace(episode, title="Written here"))
        slot = uow.runs.slot_of_item("queue_1")
        assert slot is not None and slot.episode is not None
        assert slot.episode.title == "Written here"


def test_the_project_read_guards_its_update_like_projects_get(storage: Storage) -> None:
    """Optimistic locking: a project updated elsewhere since the slot was read is a
    conflict, as it is after ``projects.get``."""
    queued(storage)
    with storage.uow("org_a") as uow:
        slot = uow.runs.slot_of_item("queue_1")
        assert slot is not None and slot.project is not None
        with storage.uow("org_a") as other:
            meanwhile = other.projects.get("proj_org_a")
            assert meanwhile is not None
            meanwhile.status = ProjectStatus.PAUSED
            meanwhile.touch(T0)
            other.projects.update(meanwhile)
            other.commit()
        slot.project.title = "Renamed"
        slot.project.touch(T0)
        with pytest.raises(VersionConflictError):
            uow.projects.update(slot.project)
            uow.commit()


def test_the_slots_project_can_be_updated_when_nobody_else_did(storage: Storage) -> None:
    queued(storage)
    with storage.uow("org_a") as uow:
        slot = uow.runs.slot_of_item("queue_1")
        assert slot is not None and slot.project is not None
        slot.project.title = "Renamed"
        slot.project.touch(T0)
        uow.projects.update(slot.project)
        uow.commit()
    with storage.uow("org_a") as uow:
        project = uow.projects.get("proj_org_a")
        assert project is not None and project.title == "Renamed"
