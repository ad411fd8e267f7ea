"""Memories, the same on every adapter and in either store.

The first test is the one the issue asks for: a project's memories give the same
answers (the list, every search, the writer's payload) while they are JSON on the
project and after they moved to the agent_memory table, on the fake and on PostgreSQL.
The rest hold the storage the use cases lean on to the same contract.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from manyfutures.core.activity.event_types import MEMORY_SEARCH_REQUESTED
from manyfutures.core.feedback.memories import Memory
from manyfutures.core.feedback.memory_use_cases import (
    CreateMemory,
    CreateMemoryCommand,
    DeleteMemory,
    DeleteMemoryCommand,
    ListMemories,
    ListMemoriesQuery,
    MigrateMemoriesCommand,
    MigrateProjectMemories,
)
from manyfutures.core.feedback.model import AgentMemory
from manyfutures.core.feedback.ports import JsonMemoryProject
from manyfutures.core.generation.use_cases import _memories_for_writer
from manyfutures.core.projects.model import MemoryStorage
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import NotFoundError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import ManualClock, SequentialIds

ALICE = Actor("user_alice", "org_a", Role.MEMBER)
PROJECT = "proj_org_a"
SEARCHES = ("GRID", "grid", "straße", "STRASSE", "é", "nothing like it", "0.3")


class Memories:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.clock = ManualClock(T0)
        ids = SequentialIds()
        self.create = CreateMemory(storage.uow, self.clock, ids, None)
        self.list = ListMemories(storage.uow, self.clock, ids)
        self.delete = DeleteMemory(storage.uow, self.clock, ids, None)
        self.migrate = MigrateProjectMemories(storage.uow, self.clock, ids, None)

    def add(
        self,
        content: str,
        importance: float,
        memory_type: str = "preference",
        expires_at: datetime | None = None,
    ) -> Memory:
        return self.create(
            CreateMemoryCommand(ALICE, PROJECT, content, memory_type, importance, expires_at)
        )

    def answers(self) -> tuple[object, ...]:
        listed = self.list(ListMemoriesQuery(ALICE, PROJECT))
        found = [self.list(ListMemoriesQuery(ALICE, PROJECT, q)) for q in SEARCHES]
        with self.storage.uow("org_a") as uow:
            project = uow.projects.get(PROJECT)
            assert project is not None
            payload = _memories_for_writer(uow, project, self.clock.now())
        return listed, found, payload

    def storage_of_project(self) -> MemoryStorage:
        with self.storage.uow("org_a") as uow:
            project = uow.projects.get(PROJECT)
            assert project is not None
            return project.memory_storage


def test_both_stores_give_the_same_answers(storage: Storage) -> None:
    seed(storage)
    memories = Memories(storage)
    memories.add("Likes grid storage", 0.8)
    memories.add("Skip crypto; the GRID matters", 0.8)  # a tie: oldest first
    memories.add("Liest gern über die Straße", 0.1 + 0.2)  # 0.30000000000000004 survives
    memories.add("Café culture, not policy", 1.0, memory_type="topic_2")
    memories.add("Grid expiring soon", 0.9, expires_at=T0 + timedelta(hours=1))
    gone = memories.add("Grid, deleted", 0.7)
    memories.delete(DeleteMemoryCommand(ALICE, gone.id))
    memories.clock.advance(timedelta(hours=2))  # the expiring one is expired now

    on_json = memories.answers()
    assert memories.storage_of_project() is MemoryStorage.JSON
    listed = on_json[0]
    assert isinstance(listed, list)
    assert [m.content for m in listed] == [
        "Café culture, not policy",
        "Likes grid storage",
        "Skip crypto; the GRID matters",
        "Liest gern über die Straße",
    ]
    assert listed[-1].importance == 0.1 + 0.2
    assert listed[0].memory_type == "topic_2"

    outcome = memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True))

    assert (outcome.migrated, outcome.moved) == (True, 5)  # the expired one moves too
    assert memories.storage_of_project() is MemoryStorage.TABLE
    assert memories.answers() == on_json


def test_writes_and_deletes_reach_the_table_once_moved(storage: Storage) -> None:
    seed(storage)
    memories = Memories(storage)
    kept = memories.add("moved with the rest", 0.5)
    memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True))

    added = memories.add("written after the move", 0.6)
    memories.delete(DeleteMemoryCommand(ALICE, kept.id))

    with storage.uow("org_a") as uow:
        project = uow.projects.get(PROJECT)
        assert project is not None and project.memories == []
        assert [m.id for m in uow.agent_memories.list_for_project(PROJECT)] == [added.id]
    with pytest.raises(NotFoundError):
        memories.delete(DeleteMemoryCommand(ALICE, kept.id))


def test_moving_again_changes_nothing(storage: Storage) -> None:
    seed(storage)
    memories = Memories(storage)
    memories.add("one", 0.5)
    memories.add("two", 0.5)
    first = memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True))
    again = memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True))
    assert (first.moved, again.moved, again.migrated) == (2, 0, False)
    with storage.uow("org_a") as uow:
        assert uow.agent_memories.count_for_project(PROJECT) == 2


def test_a_dry_run_reports_and_moves_nothing(storage: Storage) -> None:
    seed(storage)
    memories = Memories(storage)
    memories.add("one", 0.5)
    outcome = memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True, dry_run=True))
    assert (outcome.migrated, outcome.moved) == (True, 1)
    assert memories.storage_of_project() is MemoryStorage.JSON
    with storage.uow("org_a") as uow:
        assert uow.agent_memories.count_for_project(PROJECT) == 0


def test_a_search_on_json_records_the_need_once_and_moves_nothing(storage: Storage) -> None:
    seed(storage)
    memories = Memories(storage)
    memories.add("grid", 0.5)
    memories.list(ListMemoriesQuery(ALICE, PROJECT, "grid"))
    memories.list(ListMemoriesQuery(ALICE, PROJECT, "other"))
    memories.list(ListMemoriesQuery(ALICE, PROJECT))
    assert memories.storage_of_project() is MemoryStorage.JSON
    with storage.uow("org_a") as uow:
        events = uow.events.list(MEMORY_SEARCH_REQUESTED)
    assert [e.event_data for e in events] == [{"projectId": PROJECT}]


def test_another_organizations_memories_are_not_found(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    memories = Memories(storage)
    on_json = memories.add("org a's, on JSON", 0.5)
    intruder = Actor("user_bob", "org_b", Role.ADMIN)
    with pytest.raises(NotFoundError):
        memories.delete(DeleteMemoryCommand(intruder, on_json.id))
    with pytest.raises(NotFoundError):
        memories.list(ListMemoriesQuery(intruder, PROJECT))
    with pytest.raises(NotFoundError):
        memories.create(CreateMemoryCommand(intruder, PROJECT, "sneaky", "preference", 0.5))
    memories.migrate(MigrateMemoriesCommand("org_a", PROJECT, forced=True))
    with pytest.raises(NotFoundError):
        memories.delete(DeleteMemoryCommand(intruder, on_json.id))
    assert [m.id for m in memories.list(ListMemoriesQuery(ALICE, PROJECT))] == [on_json.id]


class TestRepositories:
    def test_agent_memory_get_delete_and_count(self, storage: Storage) -> None:
        seed(storage, "org_a", "org_b")
        with storage.uow("org_a") as uow:
            for n in (1, 2):
                uow.agent_memories.add(_row(f"mem_{n}", "org_a", PROJECT))
            assert uow.agent_memories.count_for_project(PROJECT) == 2  # own writes count
            uow.commit()
        with storage.uow("org_b") as uow:
            assert uow.agent_memories.get("mem_1") is None
            uow.agent_memories.delete("mem_1")  # not its own: nothing happens
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.agent_memories.get("mem_1") == _row("mem_1", "org_a", PROJECT)
            uow.agent_memories.delete("mem_1")
            uow.agent_memories.delete("mem_missing")
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.agent_memories.get("mem_1") is None
            assert uow.agent_memories.count_for_project(PROJECT) == 1

    def test_a_project_is_found_by_a_json_memory_id_in_its_organization(
        self, storage: Storage
    ) -> None:
        seed(storage, "org_a", "org_b")
        memories = Memories(storage)
        memory = memories.add("findable", 0.5)
        with storage.uow("org_a") as uow:
            found = uow.projects.find_by_memory_id(memory.id)
            assert found is not None and found.id == PROJECT
            assert uow.projects.find_by_memory_id("mem_nope") is None
        with storage.uow("org_b") as uow:
            assert uow.projects.find_by_memory_id(memory.id) is None

    def test_the_gateway_lists_live_json_projects_of_every_organization(
        self, storage: Storage
    ) -> None:
        seed(storage, "org_a", "org_b")
        with storage.uow("org_a") as uow:
            uow.projects.add(b.project("proj_table", "org_a", memory_storage=MemoryStorage.TABLE))
            uow.projects.add(b.project("proj_gone", "org_a", deleted_at=T0, deleted_by="u"))
            uow.commit()
        Memories(storage).add("one", 0.5)

        first = storage.memories.projects_on_json(None, 1)
        rest = storage.memories.projects_on_json(first[-1].project_id, 10)

        assert [*first, *rest] == [
            JsonMemoryProject("org_a", "proj_org_a", 1),
            JsonMemoryProject("org_b", "proj_org_b", 0),
        ]


def _row(memory_id: str, org: str, project_id: str) -> AgentMemory:
    return AgentMemory(
        id=memory_id,
        organization_id=org,
        project_id=project_id,
        content=f"content of {memory_id}",
        importance=0.25,
        created_at=T0,
        expires_at=T0 + timedelta(days=1),
    )
