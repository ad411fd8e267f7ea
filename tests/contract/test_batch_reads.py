"""Reads and writes of many rows in one statement: what the scheduler needs to advance
one organization's due projects together (core/projects/advance.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import MemoryStorage, ProjectMemory
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.errors import VersionConflictError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

DAY = timedelta(days=1)


def test_projects_get_many_finds_the_live_ones_of_the_organization(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.projects.add(b.project("proj_gone", deleted_at=T0, deleted_by="user_1"))
        uow.commit()
    with storage.uow("org_a") as uow:
        found = uow.projects.get_many(["proj_org_a", "proj_2", "proj_gone", "proj_org_b", "none"])
        assert sorted(p.id for p in found) == ["proj_2", "proj_org_a"]
        assert uow.projects.get_many([]) == []


def test_projects_read_together_are_updated_under_the_optimistic_lock(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.commit()
    with storage.uow("org_a") as uow:
        for project in uow.projects.get_many(["proj_org_a", "proj_2"]):
            project.title = "Read together"
            uow.projects.update(project)
        uow.commit()
    with storage.uow("org_a") as uow:
        assert {p.title for p in uow.projects.get_many(["proj_org_a", "proj_2"])} == {
            "Read together"
        }
    with pytest.raises(VersionConflictError), storage.uow("org_a") as uow:
        (stale,) = uow.projects.get_many(["proj_org_a"])
        with storage.uow("org_a") as other:
            winner = other.projects.get("proj_org_a")
            assert winner is not None
            winner.touch(T0)
            other.projects.update(winner)
            other.commit()
        stale.title = "Lost"
        uow.projects.update(stale)
        uow.commit()


def test_queue_items_of_many_projects_oldest_slot_first(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.episodes.add(b.episode("ep_2", "proj_2"))
        uow.queue.add(b.queue_item("queue_3", "proj_org_a", "ep_org_a", slot=T0 + DAY))
        uow.queue.add(b.queue_item("queue_2", "proj_2", "ep_2", slot=T0 + DAY))
        uow.queue.add(
            b.queue_item("queue_1", "proj_org_a", "ep_org_a", slot=T0, status=QueueStatus.CANCELLED)
        )
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.queue.add(b.queue_item("queue_b", "proj_org_b", "ep_org_b", "org_b"))
        uow.commit()
    with storage.uow("org_a") as uow:
        uow.queue.add(b.queue_item("queue_4", "proj_2", "ep_2", slot=T0))  # staged: seen
        items = uow.queue.list_for_projects(["proj_org_a", "proj_2", "proj_org_b"])
        assert [i.id for i in items] == ["queue_1", "queue_4", "queue_2", "queue_3"]
        assert [i.id for i in uow.queue.list_for_projects(["proj_2"])] == ["queue_4", "queue_2"]
        assert uow.queue.list_for_projects([]) == []


def test_episodes_of_many_slots_the_lowest_id_of_each(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.episodes.add(b.episode("ep_a2", "proj_org_a", scheduled_for=T0 + DAY))
        uow.episodes.add(b.episode("ep_a1", "proj_org_a", scheduled_for=T0 + DAY))
        uow.episodes.add(b.episode("ep_a3", "proj_org_a", scheduled_for=T0 + 2 * DAY))
        uow.episodes.add(b.episode("ep_p2", "proj_2", scheduled_for=T0 + 2 * DAY))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.episodes.add(b.episode("ep_b", "proj_org_b", "org_b", scheduled_for=T0 + DAY))
        uow.commit()
    with storage.uow("org_a") as uow:
        found = uow.episodes.find_for_slots(
            [
                ("proj_org_a", T0 + DAY),
                ("proj_2", T0 + DAY),  # proj_2 has no episode then: left out
                ("proj_2", T0 + 2 * DAY),
                ("proj_org_b", T0 + DAY),  # another organization's
            ]
        )
        assert sorted(e.id for e in found) == ["ep_a1", "ep_p2"]
        assert uow.episodes.find_for_slots([]) == []


def test_episodes_get_many(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.episodes.add(b.episode("ep_2", "proj_org_a"))
        found = uow.episodes.get_many(["ep_org_a", "ep_2", "ep_org_b", "ep_none"])
        assert sorted(e.id for e in found) == ["ep_2", "ep_org_a"]
        assert uow.episodes.get_many([]) == []


def test_projects_update_many_writes_every_field(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.projects.add(b.project("proj_3"))
        uow.commit()
    with storage.uow("org_a") as uow:
        first, second, gone = sorted(
            uow.projects.get_many(["proj_org_a", "proj_2", "proj_3"]), key=lambda p: p.id
        )
        first.title, first.next_scheduled_at = "Moved on", T0 + DAY
        first.cadence = Cadence.create("daily", [], "07:30", "America/New_York")
        first.memories = [
            ProjectMemory(
                id="mem_1",
                content="likes policy",
                memory_type="preference",
                importance=0.9,
                created_at=T0,
                expires_at=T0 + timedelta(days=3),
            )
        ]
        first.memory_storage = MemoryStorage.TABLE
        first.touch(T0 + DAY)
        second.cadence = Cadence.create("custom", [0, 3], "09:00", "Europe/London")
        second.pause(T0 + DAY)
        second.next_scheduled_at = None
        gone.soft_delete("user_1", T0 + DAY)
        uow.projects.update_many([first, second, gone])
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.projects.get(first.id) == first
        assert uow.projects.get(second.id) == second
        assert uow.projects.get(gone.id) is None  # soft-deleted
        assert uow.projects.count_active() == 1


def test_projects_update_many_stages_nothing_if_one_was_never_read(storage: Storage) -> None:
    """All or none, as one UPDATE: a project this unit of work never read is refused
    before any of the others is staged."""
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.commit()
    with storage.uow("org_a") as uow:
        (read,) = uow.projects.get_many(["proj_org_a"])
        read.title = "Not kept"
        with pytest.raises(VersionConflictError):
            uow.projects.update_many([read, b.project("proj_2")])
        uow.commit()
    with storage.uow("org_a") as uow:
        project = uow.projects.get("proj_org_a")
        assert project is not None and project.title != "Not kept"


def test_ids_given_twice_read_each_row_once(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert [p.id for p in uow.projects.get_many(["proj_org_a", "proj_org_a"])] == ["proj_org_a"]
        assert [e.id for e in uow.episodes.get_many(["ep_org_a", "ep_org_a"])] == ["ep_org_a"]


def test_projects_update_many_conflicts_as_a_whole(storage: Storage) -> None:
    """One project changed by another transaction since it was read: nothing is kept."""
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_2"))
        uow.commit()
    with pytest.raises(VersionConflictError), storage.uow("org_a") as uow:
        projects = uow.projects.get_many(["proj_org_a", "proj_2"])
        with storage.uow("org_a") as other:
            winner = other.projects.get("proj_2")
            assert winner is not None
            winner.touch(T0)
            other.projects.update(winner)
            other.commit()
        for project in projects:
            project.title = "Lost"
        uow.projects.update_many(projects)
        uow.commit()
    with storage.uow("org_a") as uow:
        assert {p.title for p in uow.projects.get_many(["proj_org_a", "proj_2"])} == {
            "Future of energy"
        }
    with pytest.raises(VersionConflictError), storage.uow("org_a") as uow:
        uow.projects.update_many([b.project("proj_2")])  # never read here
