"""What the plan rules ask of storage: the plan's overrides kept, the organization's row
held while its active projects are counted, and that count."""

from __future__ import annotations

import threading
from decimal import Decimal

from manyfutures.core.projects.model import ProjectStatus
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

GRACE = 0.3  # how long the other unit of work gets to (wrongly) go ahead


def test_the_plans_overrides_round_trip_none_included(storage: Storage) -> None:
    with storage.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.organizations.add(
            b.organization(
                "org_b", max_active_projects=0, daily_limit_ceiling_gbp=Decimal("1000.5")
            )
        )
        uow.commit()
    with storage.uow("org_a") as uow:
        defaults = uow.organizations.get()
    with storage.uow("org_b") as uow:
        overridden = uow.organizations.get_for_update()
        assert overridden is not None
        overridden.max_active_projects, overridden.daily_limit_ceiling_gbp = 25, None
        uow.organizations.update(overridden)
        uow.commit()
    with storage.uow("org_b") as uow:
        changed = uow.organizations.get()
    assert defaults is not None and changed is not None
    assert (defaults.max_active_projects, defaults.daily_limit_ceiling_gbp) == (None, None)
    assert (changed.max_active_projects, changed.daily_limit_ceiling_gbp) == (25, None)
    with storage.uow("org_b") as uow:
        uow.organizations.get_for_update()
        assert uow.organizations.get() == changed


def test_a_locked_organization_is_read_as_usual_and_absent_is_none(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.organizations.get_for_update() == uow.organizations.get()
    with storage.uow("org_nobody") as uow:
        assert uow.organizations.get_for_update() is None


def test_a_second_holder_waits_and_counts_what_the_first_added(storage: Storage) -> None:
    """The plan's rule: count under the lock, insert, commit; the next one counts it."""
    seed(storage)
    events: list[str] = []
    counted: list[int] = []

    def second() -> None:
        with storage.uow("org_a") as uow:
            uow.organizations.get_for_update()
            events.append("second counted")
            counted.append(uow.projects.count_active())

    with storage.uow("org_a") as first:
        first.organizations.get_for_update()
        assert first.projects.count_active() == 1
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=GRACE)
        events.append("first added")
        first.projects.add(b.project("proj_2"))
        first.commit()
    other.join(timeout=10)
    assert events == ["first added", "second counted"]
    assert counted == [2]


def test_ending_without_commit_releases_the_organization(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as first:
        first.organizations.get_for_update()
    with storage.uow("org_a") as second:
        assert second.organizations.get_for_update() is not None


def test_another_organization_is_not_held_up(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    read: list[str] = []

    def other_org() -> None:
        with storage.uow("org_b") as uow:
            assert uow.organizations.get_for_update() is not None
            read.append("org_b")

    with storage.uow("org_a") as first:
        first.organizations.get_for_update()
        other = threading.Thread(target=other_org)
        other.start()
        other.join(timeout=10)
        assert read == ["org_b"]


def test_only_live_active_projects_count_own_writes_included(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")  # one active project each
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_paused", status=ProjectStatus.PAUSED))
        uow.projects.add(b.project("proj_archived", status=ProjectStatus.ARCHIVED))
        uow.projects.add(b.project("proj_2"))
        uow.projects.add(b.project("proj_deleted"))
        uow.commit()
    with storage.uow("org_a") as uow:
        deleted = uow.projects.get("proj_deleted")
        assert deleted is not None
        deleted.soft_delete("user_1", T0)
        uow.projects.update(deleted)
        assert uow.projects.count_active() == 2  # its own, uncommitted delete
        uow.projects.add(b.project("proj_3"))
        assert uow.projects.count_active() == 3  # its own, uncommitted insert
    with storage.uow("org_a") as uow:
        assert uow.projects.count_active() == 3  # nothing of the above was kept
    with storage.uow("org_b") as uow:
        assert uow.projects.count_active() == 1
    with storage.uow("org_empty") as uow:
        assert uow.projects.count_active() == 0
