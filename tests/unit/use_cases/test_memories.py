"""Memory use cases over the fakes: every write evaluates the migration triggers and moves
the project when one holds; a search only records the need, which the daily check acts on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from manyfutures.adapters.memory.memory_store_gateway import InMemoryMemoryStoreGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.core.activity.event_types import MEMORIES_MIGRATED
from manyfutures.core.feedback.memories import Memory
from manyfutures.core.feedback.memory_use_cases import (
    CheckMemoryStores,
    CreateMemory,
    CreateMemoryCommand,
    DeleteMemory,
    DeleteMemoryCommand,
    ListMemories,
    ListMemoriesQuery,
    MigrateProjectMemories,
)
from manyfutures.core.projects.model import MemoryStorage
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import ValidationError
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import ManualClock, SequentialIds

ALICE = Actor("user_alice", "org_a", Role.MEMBER)
PROJECT = "proj_1"


class Memories:
    def __init__(self, launched_on: date | None = None) -> None:
        store = InMemoryStore()
        self.uow = InMemoryUnitOfWorkFactory(store)
        self.clock = ManualClock(T0)
        ids = SequentialIds()
        self.create_memory = CreateMemory(self.uow, self.clock, ids, launched_on)
        self.list = ListMemories(self.uow, self.clock, ids)
        self.delete = DeleteMemory(self.uow, self.clock, ids, launched_on)
        migrate = MigrateProjectMemories(self.uow, self.clock, ids, launched_on)
        self.check = CheckMemoryStores(InMemoryMemoryStoreGateway(store), migrate)
        with self.uow("org_a") as uow:
            uow.organizations.add(b.organization("org_a"))
            uow.projects.add(b.project(PROJECT, "org_a"))
            uow.commit()

    def create(
        self,
        content: str = "likes grid storage",
        importance: object = 0.5,
        memory_type: str = "preference",
        expires_at: datetime | None = None,
    ) -> Memory:
        return self.create_memory(
            CreateMemoryCommand(ALICE, PROJECT, content, memory_type, importance, expires_at)  # type: ignore[arg-type]
        )

    def storage(self) -> MemoryStorage:
        with self.uow("org_a") as uow:
            project = uow.projects.get(PROJECT)
            assert project is not None
            return project.memory_storage

    def migrations(self) -> list[dict[str, object]]:
        with self.uow("org_a") as uow:
            return [e.event_data for e in uow.events.list(MEMORIES_MIGRATED)]

    def audit(self) -> list[tuple[str, str | None, str | None]]:
        with self.uow("org_a") as uow:
            rows = uow.audit_log.list()
        return [(row.action, row.resource_id, row.user_id) for row in reversed(rows)]


def test_the_fiftieth_memory_moves_the_project_in_its_own_write() -> None:
    memories = Memories()
    for n in range(49):
        memories.create(f"memory {n}")
    assert memories.storage() is MemoryStorage.JSON

    memories.create("the fiftieth")

    assert memories.storage() is MemoryStorage.TABLE
    assert memories.migrations() == [
        {"projectId": PROJECT, "moved": 50, "reasons": ["memory_count"], "by": "write"}
    ]
    assert len(memories.list(ListMemoriesQuery(ALICE, PROJECT))) == 50


def test_a_slow_parse_moves_the_project_at_the_next_write() -> None:
    memories = Memories()
    memories.create("first")
    with memories.uow("org_a") as uow:
        project = uow.projects.get(PROJECT)
        assert project is not None
        project.memories_parse_time = timedelta(milliseconds=101)
        uow.projects.update(project)
        uow.commit()

    memories.create("second")

    assert memories.storage() is MemoryStorage.TABLE
    assert memories.migrations()[0]["reasons"] == ["slow_parse"]


@pytest.mark.parametrize(
    ("launched_on", "moved"),
    [(None, False), (date(2025, 10, 6), False), (date(2025, 10, 5), True)],
)
def test_three_months_after_launch_any_write_moves_the_project(
    launched_on: date | None, moved: bool
) -> None:
    memories = Memories(launched_on)  # T0 is 5 January 2026
    memories.create()
    assert (memories.storage() is MemoryStorage.TABLE) is moved


def test_a_search_only_records_the_need_and_the_daily_check_acts_on_it() -> None:
    memories = Memories()
    memories.create("grid")
    assert memories.check().migrated == 0  # no trigger yet

    found = memories.list(ListMemoriesQuery(ALICE, PROJECT, "GRID"))

    assert [m.content for m in found] == ["grid"]
    assert memories.storage() is MemoryStorage.JSON
    report = memories.check()
    assert (report.checked, report.migrated) == (1, 1)
    assert memories.storage() is MemoryStorage.TABLE
    assert memories.migrations() == [
        {"projectId": PROJECT, "moved": 1, "reasons": ["search_needed"], "by": "daily check"}
    ]
    assert memories.check().checked == 0  # nothing left on JSON


def test_a_delete_evaluates_the_triggers_too() -> None:
    memories = Memories()
    first = memories.create("grid")
    memories.create("policy")
    memories.list(ListMemoriesQuery(ALICE, PROJECT, "grid"))

    memories.delete(DeleteMemoryCommand(ALICE, first.id))

    assert memories.storage() is MemoryStorage.TABLE
    assert [m.content for m in memories.list(ListMemoriesQuery(ALICE, PROJECT))] == ["policy"]


def test_user_mutations_are_audited_by_their_author() -> None:
    memories = Memories()
    memory = memories.create("grid")
    memories.delete(DeleteMemoryCommand(ALICE, memory.id))
    assert memories.audit() == [
        ("memory.create", memory.id, ALICE.user_id),
        ("memory.delete", memory.id, ALICE.user_id),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"content": "x" * 2_001}, "content"),
        ({"content": "   "}, "content"),
        ({"importance": 1.01}, "importance"),
        ({"importance": -0.1}, "importance"),
        ({"importance": True}, "importance"),
        ({"memory_type": "Not A Type"}, "type"),
        ({"expires_at": T0}, "expiresAt"),
        ({"expires_at": T0 - timedelta(days=1)}, "expiresAt"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(
    change: dict[str, object], field: str
) -> None:
    memories = Memories()
    with pytest.raises(ValidationError) as refused:
        memories.create(**change)  # type: ignore[arg-type]
    assert list(refused.value.field_errors) == [field]
    assert memories.list(ListMemoriesQuery(ALICE, PROJECT)) == []
    assert memories.audit() == []


def test_an_expired_memory_is_kept_but_never_shown() -> None:
    memories = Memories()
    memories.create("soon gone", expires_at=T0 + timedelta(minutes=5))
    assert len(memories.list(ListMemoriesQuery(ALICE, PROJECT, "gone"))) == 1
    memories.clock.advance(timedelta(minutes=5))
    assert memories.list(ListMemoriesQuery(ALICE, PROJECT)) == []
    assert memories.list(ListMemoriesQuery(ALICE, PROJECT, "gone")) == []
    with memories.uow("org_a") as uow:
        project = uow.projects.get(PROJECT)
        assert project is not None and len(project.memories) == 1
