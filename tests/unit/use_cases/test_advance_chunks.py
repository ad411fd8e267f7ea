"""Advancing due projects an organization's chunk at a time (core/projects/advance.py):
one unit of work per chunk, and a conflict in a chunk costs no other project its advance."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.projects.advance import (
    PROJECTS_PER_UNIT_OF_WORK,
    ScheduleDueProjects,
    advance_to_next_occurrence,
)
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.storage import StorageFactory
from manyfutures.settings import Settings
from tests.support import builders as b
from tests.support.wrapped import CommitFails, WrappedUnitOfWork
from tests.unit.use_cases.conftest import Harness

DUE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NEXT = DUE + timedelta(days=1)


class _Storage:
    """The real units of work, counted; the first one committed while a race is armed
    runs the race just before its own commit."""

    def __init__(self, real: StorageFactory) -> None:
        self.real = real
        self.opened = 0
        self.race: Callable[[], None] | None = None

    def __call__(self, organization_id: str) -> Any:
        self.opened += 1
        return _RacedAtCommit(self.real(organization_id), self)


class _RacedAtCommit(WrappedUnitOfWork):
    def __init__(self, inner: Any, storage: _Storage) -> None:
        super().__init__(inner)
        self._storage = storage

    def commit(self) -> None:
        race, self._storage.race = self._storage.race, None
        if race is not None:
            race()
        self._inner.commit()


@pytest.fixture
def settings() -> Settings:
    """Memory storage; tests/integration/postgres/test_advance_chunks_postgres.py runs the
    same tests over PostgreSQL."""
    return Settings()


@pytest.fixture
def counted(settings: Settings) -> Iterator[tuple[Harness, _Storage]]:
    storages: list[_Storage] = []

    def wrap(real: StorageFactory) -> _Storage:
        storages.append(_Storage(real))
        return storages[0]

    harness = Harness(wrap, settings)
    harness.clock.set(DUE)
    yield harness, storages[0]
    if settings.storage == "postgres":
        harness.container.adapters.postgres_engine().dispose()


def due_projects(storage: _Storage, organization_id: str, count: int) -> list[str]:
    """Daily projects whose slot (queue item and draft) is due at DUE."""
    cadence = Cadence.create("daily", [], "09:00", "UTC")
    project_ids = [f"proj_{organization_id}_{n:03d}" for n in range(count)]
    with storage.real(organization_id) as uow:
        uow.organizations.add(b.organization(organization_id))
        for project_id in project_ids:
            episode_id = f"ep_{project_id}"
            uow.projects.add(
                b.project(project_id, organization_id, cadence=cadence, next_scheduled_at=DUE)
            )
            uow.episodes.add(b.episode(episode_id, project_id, organization_id, scheduled_for=DUE))
            uow.queue.add(
                b.queue_item(f"queue_{project_id}", project_id, episode_id, organization_id, DUE)
            )
        uow.commit()
    return project_ids


def assert_advanced_once(storage: _Storage, organization_id: str, project_ids: list[str]) -> None:
    with storage.real(organization_id) as uow:
        for project_id in project_ids:
            project = uow.projects.get(project_id)
            assert project is not None and project.next_scheduled_at == NEXT
            items = uow.queue.list_for_project(project_id)
            assert [(i.scheduled_for, i.status) for i in items] == [
                (DUE, QueueStatus.PENDING),
                (NEXT, QueueStatus.PENDING),
            ]
            episode = uow.episodes.get(items[1].episode_id)
            assert episode is not None and episode.scheduled_for == NEXT


def test_one_beat_advances_many_organizations_a_chunk_per_unit_of_work(
    counted: tuple[Harness, _Storage],
) -> None:
    harness, storage = counted
    per_organization = PROJECTS_PER_UNIT_OF_WORK + 3  # two chunks each
    due = {org: due_projects(storage, org, per_organization) for org in ("org_a", "org_b")}
    advance = harness.container.projects.schedule_due_projects()
    storage.opened = 0
    assert advance() == 2 * per_organization
    assert storage.opened == 4
    for org, project_ids in due.items():
        assert_advanced_once(storage, org, project_ids)
    storage.opened = 0
    assert advance() == 0  # nothing is due any more
    assert storage.opened == 0


def test_a_project_advanced_elsewhere_costs_the_rest_of_its_chunk_nothing(
    counted: tuple[Harness, _Storage],
) -> None:
    """Another scheduler advances one project of the chunk just before the chunk commits:
    the chunk's insert of that project's next slot is refused and the whole chunk rolled
    back, so it is redone one project per unit of work, the raced one no longer due."""
    harness, storage = counted
    project_ids = due_projects(storage, "org_a", 5)
    raced = project_ids[2]

    def advance_elsewhere() -> None:
        with storage.real("org_a") as uow:
            project = uow.projects.get(raced)
            assert project is not None
            advance_to_next_occurrence(uow, harness.container.adapters.ids(), project, DUE)
            uow.commit()

    storage.race = advance_elsewhere
    storage.opened = 0
    assert harness.container.projects.schedule_due_projects()() == 4
    assert storage.opened == 1 + 5  # the chunk, then each project on its own
    assert_advanced_once(storage, "org_a", project_ids)


def test_a_chunk_reuses_a_left_behind_draft_once(counted: tuple[Harness, _Storage]) -> None:
    """A due slot with no item (its item was cancelled) takes the draft the cancelled slot
    left behind, as ``ensure_slot`` would; the next slot, filled in the same chunk, gets a
    new draft rather than that one a second time. A FAILED episode is never reused."""
    harness, _ = counted
    cadence = Cadence.create("daily", [], "09:00", "UTC")
    earlier = DUE - timedelta(days=3)
    with harness.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        for project_id, status in (
            ("proj_draft", EpisodeStatus.DRAFT),
            ("proj_failed", EpisodeStatus.FAILED),
        ):
            uow.projects.add(b.project(project_id, cadence=cadence, next_scheduled_at=DUE))
            episode_id = f"ep_{project_id}"
            uow.episodes.add(
                b.episode(episode_id, project_id, scheduled_for=earlier, status=status)
            )
            uow.queue.add(
                b.queue_item(
                    f"queue_{project_id}",
                    project_id,
                    episode_id,
                    slot=earlier,
                    status=QueueStatus.CANCELLED,
                )
            )
        uow.commit()
    assert harness.container.projects.schedule_due_projects()() == 2
    with harness.uow("org_a") as uow:
        for project_id, reused in (("proj_draft", True), ("proj_failed", False)):
            live = [
                i
                for i in uow.queue.list_for_project(project_id)
                if i.status is not QueueStatus.CANCELLED
            ]
            assert [i.scheduled_for for i in live] == [DUE, NEXT]
            assert (live[0].episode_id == f"ep_{project_id}") is reused
            assert live[1].episode_id not in (live[0].episode_id, f"ep_{project_id}")
            for item in live:
                episode = uow.episodes.get(item.episode_id)
                assert episode is not None and episode.scheduled_for == item.scheduled_for


def test_a_draft_left_at_the_next_slot_is_not_given_to_both_slots(
    counted: tuple[Harness, _Storage],
) -> None:
    """The due slot has no item, and the draft of a cancelled next slot is still scheduled
    for that next slot: the due slot takes it (the newest reusable draft), so the next
    slot must get a new draft, as ``ensure_slot`` one slot at a time gives it, and not the
    same episode found earlier at its time."""
    harness, _ = counted
    cadence = Cadence.create("daily", [], "09:00", "UTC")
    with harness.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_1", cadence=cadence, next_scheduled_at=DUE))
        uow.episodes.add(b.episode("ep_next", "proj_1", scheduled_for=NEXT))
        uow.queue.add(
            b.queue_item("queue_next", "proj_1", "ep_next", slot=NEXT, status=QueueStatus.CANCELLED)
        )
        uow.commit()
    assert harness.container.projects.schedule_due_projects()() == 1
    with harness.uow("org_a") as uow:
        live = [
            i for i in uow.queue.list_for_project("proj_1") if i.status is not QueueStatus.CANCELLED
        ]
        assert [i.scheduled_for for i in live] == [DUE, NEXT]
        assert live[0].episode_id == "ep_next"
        assert live[1].episode_id != "ep_next"
        for item in live:
            episode = uow.episodes.get(item.episode_id)
            assert episode is not None and episode.scheduled_for == item.scheduled_for


def test_one_organizations_failed_chunk_does_not_hold_back_the_others(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A chunk whose commit fails (the database refused it: a deadlock, say) is logged and
    left for the next beat; the other organizations' projects are advanced in this one."""
    reals: list[StorageFactory] = []

    def failing_for_org_b(real: StorageFactory) -> Callable[[str], Any]:
        reals.append(real)
        return lambda org: CommitFails(real(org)) if org == "org_b" else real(org)

    harness = Harness(failing_for_org_b, settings)
    harness.clock.set(DUE)
    storage = _Storage(reals[0])
    held_back = due_projects(storage, "org_b", 2)
    advancing = due_projects(storage, "org_a", 2)
    with caplog.at_level(logging.ERROR):
        assert harness.container.projects.schedule_due_projects()() == 2
    assert_advanced_once(storage, "org_a", advancing)
    assert "advancing 2 due projects of org_b failed" in caplog.text
    with storage.real("org_b") as uow:
        still_due = [uow.projects.get(project_id) for project_id in held_back]
        assert [p.next_scheduled_at if p else None for p in still_due] == [DUE, DUE]


class _FoundEarlier(InMemorySchedulerGateway):
    """Discovery as it was a moment ago: the projects found due then, whatever they are now."""

    def __init__(self, store: InMemoryStore, found: Sequence[TenantRef]) -> None:
        super().__init__(store)
        self._found = found

    def due_projects(self, now: datetime, limit: int) -> Sequence[TenantRef]:
        return self._found


def test_a_chunk_leaves_alone_what_stopped_being_due_since_discovery(harness: Harness) -> None:
    """Discovery and the chunk's unit of work are two moments: a project paused, deleted or
    moved on in between is read again in the chunk and left as it is."""
    storage = _Storage(harness.uow_factory)
    project_ids = due_projects(storage, "org_a", 4)
    paused, deleted, moved, due = project_ids
    found = harness.container.adapters.scheduler_gateway().due_projects(DUE, 10)
    assert sorted(ref.resource_id for ref in found) == project_ids
    with harness.uow("org_a") as uow:
        for project in uow.projects.get_many([paused, deleted, moved]):
            if project.id == paused:
                project.pause(DUE)
            elif project.id == deleted:
                project.soft_delete("user_1", DUE)
            else:
                project.next_scheduled_at = NEXT
            uow.projects.update(project)
        uow.commit()
    harness.clock.set(DUE)
    advance = ScheduleDueProjects(
        harness.uow_factory,
        harness.clock,
        harness.container.adapters.ids(),
        _FoundEarlier(harness.container.adapters.memory_store(), found),
    )
    assert advance() == 1
    assert_advanced_once(storage, "org_a", [due])
    with harness.uow("org_a") as uow:
        for project_id in (paused, deleted, moved):
            assert [i.scheduled_for for i in uow.queue.list_for_project(project_id)] == [DUE]
