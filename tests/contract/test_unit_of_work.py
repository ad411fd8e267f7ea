"""Unit-of-work and repository behaviour every storage adapter must share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.costs.model import Operation, OperationTotals
from manyfutures.core.episodes.episode import Block, EpisodeStatus, GenerationStage, Source
from manyfutures.core.feedback.model import AgentMemory, PlanningNoteStatus
from manyfutures.core.generation.run import RunStatus
from manyfutures.core.identity.model import Membership, User
from manyfutures.core.projects.model import MemoryStorage, ProjectMemory
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    VersionConflictError,
)
from manyfutures.core.storage import StorageUnitOfWork
from tests.contract.conftest import Storage
from tests.support import builders as b
from tests.support.builders import T0


def seed(storage: Storage, *orgs: str) -> None:
    """Organizations and their first project/episode, committed."""
    for org in orgs or ("org_a",):
        with storage.uow(org) as uow:
            uow.organizations.add(b.organization(org))
            uow.projects.add(b.project(f"proj_{org}", org))
            uow.episodes.add(b.episode(f"ep_{org}", f"proj_{org}", org))
            uow.commit()


class TestTransactions:
    def test_nothing_is_kept_without_commit(self, storage: Storage) -> None:
        with storage.uow("org_a") as uow:
            uow.organizations.add(b.organization("org_a"))
        with storage.uow("org_a") as uow:
            assert uow.organizations.get() is None

    def test_an_error_inside_the_block_rolls_back(self, storage: Storage) -> None:
        seed(storage)
        with pytest.raises(RuntimeError), storage.uow("org_a") as uow:
            uow.projects.add(b.project("proj_2"))
            raise RuntimeError("boom")
        with storage.uow("org_a") as uow:
            assert uow.projects.get("proj_2") is None

    def test_explicit_rollback_discards_staged_writes(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.projects.add(b.project("proj_2"))
            uow.rollback()
            uow.projects.add(b.project("proj_3"))
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.projects.get("proj_2") is None
            assert uow.projects.get("proj_3") is not None

    def test_reads_see_own_uncommitted_writes(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.projects.add(b.project("proj_2", title="Staged"))
            staged = uow.projects.get("proj_2")
            assert staged is not None
            assert staged.title == "Staged"


class TestRoundTrips:
    def test_organization_keeps_money_as_decimal_and_features(self, storage: Storage) -> None:
        org = b.organization(
            "org_a",
            daily_cost_limit_gbp=Decimal("12.34"),
            enabled_features=["chat"],
            experimental_features=["highlights"],
        )
        with storage.uow("org_a") as uow:
            uow.organizations.add(org)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.organizations.get() == org
            loaded = uow.organizations.get()
            assert loaded is not None
            loaded.daily_cost_limit_gbp = Decimal("75.00")
            uow.organizations.update(loaded)
            uow.commit()
        with storage.uow("org_a") as uow:
            reloaded = uow.organizations.get()
            assert reloaded is not None
            assert reloaded.daily_cost_limit_gbp == Decimal("75.00")

    def test_user_and_membership(self, storage: Storage) -> None:
        seed(storage)
        user = User(
            id="user_1",
            email="a@example.org",
            name="Ada",
            timezone="America/New_York",
            created_at=T0,
            updated_at=T0,
        )
        member = Membership(
            id="mem_1", organization_id="org_a", user_id="user_1", role=Role.ADMIN, created_at=T0
        )
        with storage.uow("org_a") as uow:
            uow.users.add(user)
            uow.memberships.add(member)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.users.get("user_1") == user
            assert uow.memberships.get_for_user("user_1") == member
            member.role = Role.MEMBER
            uow.memberships.update(member)
            uow.commit()
        with storage.uow("org_a") as uow:
            reloaded = uow.memberships.get_for_user("user_1")
            assert reloaded is not None
            assert reloaded.role is Role.MEMBER
            assert uow.memberships.remove("user_1") is True
            assert uow.memberships.remove("user_1") is False
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.memberships.get_for_user("user_1") is None

    def test_a_user_is_a_member_once(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.memberships.add(
                Membership(
                    id="mem_1",
                    organization_id="org_a",
                    user_id="user_1",
                    role=Role.MEMBER,
                    created_at=T0,
                )
            )
            uow.commit()
        with pytest.raises(DuplicateError), storage.uow("org_a") as uow:
            uow.memberships.add(
                Membership(
                    id="mem_2",
                    organization_id="org_a",
                    user_id="user_1",
                    role=Role.ADMIN,
                    created_at=T0,
                )
            )
            uow.commit()

    def test_project_with_cadence_and_memories(self, storage: Storage) -> None:
        seed(storage)
        project = b.project(
            "proj_2",
            memories=[
                ProjectMemory(
                    id="mem_1",
                    content="likes policy",
                    memory_type="preference",
                    importance=0.9,
                    created_at=T0,
                    expires_at=T0 + timedelta(days=3),
                ),
                ProjectMemory(id="mem_2", content="skip crypto", created_at=T0),
            ],
            memory_storage=MemoryStorage.TABLE,
        )
        with storage.uow("org_a") as uow:
            uow.projects.add(project)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.projects.get("proj_2") == project

    def test_episode_with_sources_errors_and_progress(self, storage: Storage) -> None:
        seed(storage)
        episode = b.episode(
            "ep_2",
            "proj_org_a",
            status=EpisodeStatus.GENERATING,
            title="T",
            summary="S",
            sources=[Source("A", "https://a.example"), Source("B", "https://b.example")],
            generation_attempts=2,
            generation_errors=["timeout", "5xx"],
            progress_stage=GenerationStage.WRITING,
            progress_percent=60,
            reading_minutes=4,
            published_at=T0,
        )
        with storage.uow("org_a") as uow:
            uow.episodes.add(episode)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.episodes.get("ep_2") == episode

    def test_blocks_come_back_in_position_order(self, storage: Storage) -> None:
        seed(storage)
        blocks = [
            Block(
                id=f"blk_{i}",
                episode_id="ep_org_a",
                organization_id="org_a",
                content=f"c{i}",
                position=pos,
                reasoning="r",
                confidence=0.8,
                created_at=T0,
                updated_at=T0,
            )
            for i, pos in ((1, 2), (2, 0), (3, 1))
        ]
        with storage.uow("org_a") as uow:
            for block in blocks:
                uow.blocks.add(block)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert [x.position for x in uow.blocks.list_for_episode("ep_org_a")] == [0, 1, 2]
            assert uow.blocks.list_for_episode("ep_org_a")[0] == blocks[1]

    def test_queue_item_and_run(self, storage: Storage) -> None:
        seed(storage)
        item = b.queue_item(
            "queue_1",
            "proj_org_a",
            "ep_org_a",
            attempt_count=1,
            status=QueueStatus.PROCESSING,
            picked_up_at=T0,
            lease_expires_at=T0 + timedelta(minutes=15),
            last_error="x",
        )
        run = b.generation_run("run_1", "ep_org_a", planning_note_ids=["note_1"])
        with storage.uow("org_a") as uow:
            uow.queue.add(item)
            uow.runs.add(run)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.queue.get("queue_1") == item
            assert uow.runs.get("run_1") == run
            run.finish(RunStatus.SUCCEEDED, T0 + timedelta(minutes=3))
            uow.runs.update(run)
            item.open_run(T0 + timedelta(seconds=5), timedelta(minutes=10))
            uow.queue.update(item)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.runs.get("run_1") == run
            assert uow.queue.get("queue_1") == item

    def test_latest_run_is_the_highest_attempt(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
            for attempt in (1, 3, 2):
                uow.runs.add(b.generation_run(f"run_{attempt}", "ep_org_a", attempt=attempt))
            uow.commit()
        with storage.uow("org_a") as uow:
            latest = uow.runs.latest_for_episode("ep_org_a")
            assert latest is not None
            assert latest.id == "run_3"
            assert uow.runs.latest_for_episode("ep_missing") is None

    def test_latest_run_of_an_items_episode_in_one_read(self, storage: Storage) -> None:
        seed(storage, "org_a", "org_b")
        with storage.uow("org_a") as uow:
            uow.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
            for attempt in (1, 3, 2):
                uow.runs.add(b.generation_run(f"run_{attempt}", "ep_org_a", attempt=attempt))
            uow.commit()
        with storage.uow("org_a") as uow:
            latest = uow.runs.latest_for_episode_of_item("queue_1")
            assert latest is not None
            assert latest.id == "run_3"
            assert uow.runs.latest_for_episode_of_item("queue_missing") is None
        with storage.uow("org_b") as uow:  # another organization's item is not found
            assert uow.runs.latest_for_episode_of_item("queue_1") is None

    def test_engagement_rows(self, storage: Storage) -> None:
        seed(storage)
        note = b.planning_note("note_1", "proj_org_a", note="More on regulation")
        memory = AgentMemory(
            id="mem_1",
            organization_id="org_a",
            project_id="proj_org_a",
            content="prefers data",
            importance=0.7,
            created_at=T0,
        )
        event = UserEvent(
            id="evt_1",
            organization_id="org_a",
            user_id="user_1",
            event_type="episode_opened",
            event_data={"episodeId": "ep_1", "n": 2},
            created_at=T0,
        )
        notification = Notification(
            id="notif_1",
            organization_id="org_a",
            user_id="user_1",
            kind="episode_published",
            title="New",
            body="Body",
            link="/episodes/ep_1",
            created_at=T0,
        )
        with storage.uow("org_a") as uow:
            uow.planning_notes.add(note)
            uow.agent_memories.add(memory)
            uow.events.add(event)
            uow.notifications.add(notification)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.planning_notes.get("note_1") == note
            assert list(uow.agent_memories.list_for_project("proj_org_a")) == [memory]
            assert list(uow.events.list()) == [event]
            assert list(uow.notifications.list_for_user("user_1")) == [notification]


MISSING_ROW_UPDATES = [
    pytest.param(
        lambda uow: uow.users.update(
            User(id="user_missing", email="", name="", created_at=T0, updated_at=T0)
        ),
        id="user",
    ),
    pytest.param(
        lambda uow: uow.memberships.update(
            Membership(
                id="mem_missing",
                organization_id="org_a",
                user_id="user_missing",
                role=Role.MEMBER,
                created_at=T0,
            )
        ),
        id="membership",
    ),
    pytest.param(
        lambda uow: uow.episodes.update(b.episode("ep_missing", "proj_org_a")), id="episode"
    ),
    pytest.param(
        lambda uow: uow.queue.update(b.queue_item("queue_missing", "proj_org_a", "ep_org_a")),
        id="queue item",
    ),
    pytest.param(
        lambda uow: uow.runs.update(b.generation_run("run_missing", "ep_org_a")), id="run"
    ),
    pytest.param(
        lambda uow: uow.planning_notes.update(b.planning_note("note_missing", "proj_org_a")),
        id="planning note",
    ),
]


class TestUpdatingAMissingRow:
    """Postgres only learns a row is missing when its UPDATE matches nothing; the fake must
    fail the same way, or memory mode hides a fault that production surfaces."""

    @pytest.mark.parametrize("update", MISSING_ROW_UPDATES)
    def test_is_not_found(
        self, storage: Storage, update: Callable[[StorageUnitOfWork], None]
    ) -> None:
        seed(storage)
        with pytest.raises(NotFoundError), storage.uow("org_a") as uow:
            update(uow)
            uow.commit()

    def test_an_organization_never_created_is_not_found(self, storage: Storage) -> None:
        seed(storage)
        with pytest.raises(NotFoundError), storage.uow("org_b") as uow:
            uow.organizations.update(b.organization("org_b"))
            uow.commit()

    def test_a_project_is_a_version_conflict(self, storage: Storage) -> None:
        """The optimistic lock speaks first: an update not based on a version this unit of
        work read conflicts, whether or not the project exists."""
        seed(storage)
        with pytest.raises(VersionConflictError), storage.uow("org_a") as uow:
            uow.projects.update(b.project("proj_missing"))
            uow.commit()


class TestQueries:
    def test_projects_page_newest_first_with_cursor(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            for n in range(2, 7):
                uow.projects.add(b.project(f"proj_{n}"))
            uow.commit()
        with storage.uow("org_a") as uow:
            first = uow.projects.list(limit=3)
            rest = uow.projects.list(limit=3, after_id=first[-1].id)
        ids = [p.id for p in [*first, *rest]]
        assert ids == ["proj_org_a", "proj_6", "proj_5", "proj_4", "proj_3", "proj_2"]

    def test_soft_deleted_projects_are_invisible(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            project = uow.projects.get("proj_org_a")
            assert project is not None
            project.soft_delete("user_1", T0)
            uow.projects.update(project)
            uow.commit()
        with storage.uow("org_a") as uow:
            assert uow.projects.get("proj_org_a") is None
            assert list(uow.projects.list(limit=10)) == []

    def test_episode_queries(self, storage: Storage) -> None:
        seed(storage)
        slot = T0 + timedelta(days=1)
        with storage.uow("org_a") as uow:
            uow.episodes.add(b.episode("ep_2", "proj_org_a", scheduled_for=slot))
            for n, hours in ((3, 1), (4, 3), (5, 2)):
                uow.episodes.add(
                    b.episode(
                        f"ep_{n}",
                        "proj_org_a",
                        title=f"t{n}",
                        status=EpisodeStatus.PUBLISHED,
                        published_at=T0 + timedelta(hours=hours),
                    )
                )
            uow.commit()
        with storage.uow("org_a") as uow:
            found = uow.episodes.find_for_slot("proj_org_a", slot)
            assert found is not None
            assert found.id == "ep_2"
            assert uow.episodes.find_for_slot("proj_org_a", slot + timedelta(seconds=1)) is None
            recent = uow.episodes.recent_with_status("proj_org_a", EpisodeStatus.PUBLISHED, 2)
            assert [e.id for e in recent] == ["ep_4", "ep_5"]
            page = uow.episodes.list_for_project("proj_org_a", limit=2, after_id="ep_5")
            assert [e.id for e in page] == ["ep_4", "ep_3"]

    def test_planning_notes_filter_by_status_oldest_first(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            for n, status in (
                (1, PlanningNoteStatus.PENDING),
                (2, PlanningNoteStatus.ARCHIVED),
                (3, PlanningNoteStatus.PENDING),
            ):
                uow.planning_notes.add(
                    b.planning_note(f"note_{n}", "proj_org_a", note=f"n{n}", status=status)
                )
            uow.commit()
        with storage.uow("org_a") as uow:
            pending = uow.planning_notes.list_for_project("proj_org_a", PlanningNoteStatus.PENDING)
            assert [n.id for n in pending] == ["note_1", "note_3"]
            assert len(uow.planning_notes.list_for_project("proj_org_a")) == 3

    def test_events_and_audit_filters(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            for n in range(1, 5):
                uow.events.add(
                    UserEvent(
                        id=f"evt_{n}",
                        organization_id="org_a",
                        user_id="u",
                        event_type="a_event" if n % 2 else "b_event",
                        created_at=T0,
                    )
                )
                uow.audit_log.add(
                    AuditLog(
                        id=f"audit_{n}",
                        organization_id="org_a",
                        user_id="u",
                        action="project.update" if n % 2 else "project.create",
                        resource_type="project" if n < 4 else "episode",
                        resource_id=f"proj_{n % 2}",
                        old_value="o",
                        new_value="n",
                        created_at=T0 + timedelta(hours=n),
                    )
                )
            uow.commit()
        with storage.uow("org_a") as uow:
            assert [e.id for e in uow.events.list("a_event")] == ["evt_1", "evt_3"]
            assert [a.id for a in uow.audit_log.list(action="project.update")] == [
                "audit_3",
                "audit_1",
            ]
            assert [a.id for a in uow.audit_log.list(resource_id="proj_0")] == [
                "audit_4",
                "audit_2",
            ]
            window = uow.audit_log.list(
                since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=4)
            )
            assert [a.id for a in window] == ["audit_3", "audit_2"]
            assert [a.id for a in uow.audit_log.list(limit=1)] == ["audit_4"]
            next_page = uow.audit_log.list(limit=2, after_id="audit_3")
            assert [a.id for a in next_page] == ["audit_2", "audit_1"]
            assert [a.id for a in uow.audit_log.list(resource_type="episode")] == ["audit_4"]
            projects = uow.audit_log.list(resource_type="project", resource_id="proj_0")
            assert [a.id for a in projects] == ["audit_2"]
            assert list(uow.audit_log.list(resource_type="membership")) == []
            # Events in a window: since included, until excluded, oldest first.
            assert [e.id for e in uow.events.list_between(T0, T0 + timedelta(hours=1))] == [
                "evt_1",
                "evt_2",
                "evt_3",
                "evt_4",
            ]
            assert list(uow.events.list_between(T0 - timedelta(hours=1), T0)) == []


class TestOptimisticLocking:
    def test_second_writer_of_the_same_version_loses(self, storage: Storage) -> None:
        seed(storage)
        first, second = storage.uow("org_a"), storage.uow("org_a")
        with first, second:
            mine = first.projects.get("proj_org_a")
            theirs = second.projects.get("proj_org_a")
            assert mine is not None
            assert theirs is not None
            mine.title = "Mine"
            mine.touch(T0)
            first.projects.update(mine)
            first.commit()
            theirs.title = "Theirs"
            theirs.touch(T0)
            with pytest.raises(VersionConflictError):
                second.projects.update(theirs)
                second.commit()
        with storage.uow("org_a") as uow:
            stored = uow.projects.get("proj_org_a")
            assert stored is not None
            assert (stored.title, stored.version) == ("Mine", 2)


class TestConcurrentInserts:
    """Two units of work inserting the same key: the first commit wins, the second is a
    DuplicateError and writes nothing (first sign-ups racing each other, or a webhook)."""

    def test_one_organization(self, storage: Storage) -> None:
        first, second = storage.uow("org_a"), storage.uow("org_a")
        with first, second:
            first.organizations.add(b.organization("org_a", name="First"))
            second.organizations.add(b.organization("org_a", name="Second"))
            first.commit()
            with pytest.raises(DuplicateError):
                second.commit()
        with storage.uow("org_a") as uow:
            stored = uow.organizations.get()
            assert stored is not None and stored.name == "First"

    def test_one_user(self, storage: Storage) -> None:
        first, second = storage.uow("org_a"), storage.uow("org_b")
        with first, second:
            first.users.add(User(id="user_1", email="a@x", name="A", created_at=T0, updated_at=T0))
            second.users.add(User(id="user_1", email="b@x", name="B", created_at=T0, updated_at=T0))
            first.commit()
            with pytest.raises(DuplicateError):
                second.commit()
        with storage.uow("") as uow:
            stored = uow.users.get("user_1")
            assert stored is not None and stored.email == "a@x"

    def test_one_membership_per_user(self, storage: Storage) -> None:
        seed(storage)
        first, second = storage.uow("org_a"), storage.uow("org_a")
        with first, second:
            for uow, membership_id in ((first, "mem_1"), (second, "mem_2")):
                uow.memberships.add(
                    Membership(
                        id=membership_id,
                        organization_id="org_a",
                        user_id="user_1",
                        role=Role.MEMBER,
                        created_at=T0,
                    )
                )
            first.commit()
            with pytest.raises(DuplicateError):
                second.commit()
        with storage.uow("org_a") as uow:
            stored = uow.memberships.get_for_user("user_1")
            assert stored is not None and stored.id == "mem_1"


class TestLockedReads:
    """``get_for_update``: no other unit of work changes the project until this one ends,
    so a read-modify-write made under it cannot lose a race (last write wins)."""

    def test_a_writer_waits_for_the_lock_and_then_loses(self, storage: Storage) -> None:
        seed(storage)
        holder = storage.uow("org_a")
        outcome: list[str] = []
        finished = threading.Event()

        def other_writer() -> None:
            with storage.uow("org_a") as uow:
                project = uow.projects.get("proj_org_a")
                assert project is not None
                project.title = "Theirs"
                project.touch(T0)
                try:
                    uow.projects.update(project)
                    uow.commit()
                    outcome.append("committed")
                except VersionConflictError:
                    outcome.append("conflict")
            finished.set()

        with holder:
            mine = holder.projects.get_for_update("proj_org_a")
            assert mine is not None
            writer = threading.Thread(target=other_writer)
            writer.start()
            assert not finished.wait(0.3), "the other writer went past the lock"
            mine.title = "Mine"
            mine.touch(T0)
            holder.projects.update(mine)
            holder.commit()
        writer.join(10)
        assert outcome == ["conflict"]
        with storage.uow("org_a") as uow:
            stored = uow.projects.get("proj_org_a")
            assert stored is not None and (stored.title, stored.version) == ("Mine", 2)

    def test_a_locked_read_waits_and_sees_the_holders_write(self, storage: Storage) -> None:
        seed(storage)
        seen: list[int] = []

        def second_reader() -> None:
            with storage.uow("org_a") as uow:
                project = uow.projects.get_for_update("proj_org_a")
                assert project is not None
                seen.append(project.version)

        with storage.uow("org_a") as holder:
            mine = holder.projects.get_for_update("proj_org_a")
            assert mine is not None
            reader = threading.Thread(target=second_reader)
            reader.start()
            reader.join(0.3)
            assert seen == []
            mine.touch(T0)
            holder.projects.update(mine)
            holder.commit()
        reader.join(10)
        assert seen == [2]

    def test_a_rollback_releases_the_lock(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            assert uow.projects.get_for_update("proj_org_a") is not None
        with storage.uow("org_a") as uow:
            assert uow.projects.get_for_update("proj_org_a") is not None
            assert uow.projects.get_for_update("proj_missing") is None


class TestScheduleSlots:
    def test_one_live_item_per_project_slot(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
            uow.commit()
        with pytest.raises(DuplicateError), storage.uow("org_a") as uow:
            uow.queue.add(b.queue_item("queue_2", "proj_org_a", "ep_org_a"))
            uow.commit()

    def test_concurrent_inserts_of_one_slot_keep_one(self, storage: Storage) -> None:
        seed(storage)
        first, second = storage.uow("org_a"), storage.uow("org_a")
        with first, second:
            first.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
            second.queue.add(b.queue_item("queue_2", "proj_org_a", "ep_org_a"))
            first.commit()
            with pytest.raises(DuplicateError):
                second.commit()
        with storage.uow("org_a") as uow:
            assert [i.id for i in uow.queue.list_for_project("proj_org_a")] == ["queue_1"]

    def test_a_cancelled_slot_can_be_filled_again(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.queue.add(
                b.queue_item("queue_1", "proj_org_a", "ep_org_a", status=QueueStatus.CANCELLED)
            )
            uow.queue.add(b.queue_item("queue_2", "proj_org_a", "ep_org_a"))
            uow.commit()
        with storage.uow("org_a") as uow:
            live = uow.queue.find_for_slot("proj_org_a", T0)
            assert live is not None
            assert live.id == "queue_2"
            assert len(uow.queue.list_for_project("proj_org_a")) == 2


class TestTokenUsage:
    def test_daily_aggregate_follows_raw_rows(self, storage: Storage) -> None:
        seed(storage)
        with storage.uow("org_a") as uow:
            uow.token_usage.add(b.usage("usage_1", cost="0.10", tokens=(100, 50)))
            uow.token_usage.add(b.usage("usage_2", cost="0.25", tokens=(300, 100)))
            uow.token_usage.add(
                b.usage(
                    "usage_3",
                    episode_id="ep_other",
                    cost="0.05",
                    tokens=(10, 10),
                    at=T0 + timedelta(hours=2),
                )
            )
            uow.token_usage.add(
                b.usage(
                    "usage_4",
                    episode_id=None,
                    cost="0.01",
                    tokens=(5, 5),
                    operation=Operation.CHAT,
                    at=T0 + timedelta(hours=2),
                )
            )
            uow.token_usage.add(b.usage("usage_5", at=T0 + timedelta(days=1)))
            uow.commit()
        with storage.uow("org_a") as uow:
            daily = uow.token_usage.daily(T0.date())
            assert daily is not None
            assert daily.total_cost_gbp == Decimal("0.41")
            assert daily.total_tokens == 150 + 400 + 20 + 10
            assert daily.episode_count == 2
            assert daily.operation_breakdown[Operation.EPISODE_GENERATION] == OperationTotals(
                570, Decimal("0.40")
            )
            assert daily.operation_breakdown[Operation.CHAT] == OperationTotals(10, Decimal("0.01"))
            assert (daily.hourly_peak, daily.peak_hour) == (550, T0.hour)
            next_day = uow.token_usage.daily(T0.date() + timedelta(days=1))
            assert next_day is not None
            assert next_day.total_cost_gbp == Decimal("0.10")
            assert uow.token_usage.daily(T0.date() - timedelta(days=1)) is None


class TestTenantIsolation:
    def test_each_organization_sees_only_its_own_rows(self, storage: Storage) -> None:
        seed(storage, "org_a", "org_b")
        with storage.uow("org_a") as uow:
            org = uow.organizations.get()
            assert org is not None
            assert org.id == "org_a"
            assert uow.projects.get("proj_org_b") is None
            assert uow.episodes.get("ep_org_b") is None
            assert [p.id for p in uow.projects.list(limit=10)] == ["proj_org_a"]
            assert list(uow.episodes.list_for_project("proj_org_b", limit=10)) == []

    def test_writing_another_organizations_row_is_refused(self, storage: Storage) -> None:
        seed(storage, "org_a", "org_b")
        with pytest.raises(PermissionDeniedError), storage.uow("org_a") as uow:
            uow.projects.add(b.project("proj_x", "org_b"))
            uow.commit()
        with storage.uow("org_b") as uow:
            assert uow.projects.get("proj_x") is None

    def test_an_update_cannot_move_a_row_to_another_organization(self, storage: Storage) -> None:
        seed(storage, "org_a", "org_b")
        with pytest.raises(PermissionDeniedError), storage.uow("org_a") as uow:
            episode = uow.episodes.get("ep_org_a")
            assert episode is not None
            episode.organization_id = "org_b"
            uow.episodes.update(episode)
            uow.commit()
        with storage.uow("org_b") as uow:
            assert uow.episodes.get("ep_org_a") is None

    def test_a_unit_of_work_without_an_organization_sees_no_tenant_rows(
        self, storage: Storage
    ) -> None:
        seed(storage, "org_a")
        with storage.uow("") as uow:
            assert uow.organizations.get() is None
            assert list(uow.projects.list(limit=10)) == []
            assert uow.episodes.get("ep_org_a") is None
