"""What the cost alerts and the day's end ask of storage, the same on every adapter: the
organization's admins, the day's alert marks, and the scheduler's cross-tenant read of
blocked items whose day is over."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.identity.model import Membership
from manyfutures.core.scheduling.ports import TenantRef
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Role
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

MIDNIGHT = T0.replace(hour=0) + timedelta(days=1)


def member(org: str, user: str, role: Role, minutes: int) -> Membership:
    return Membership(
        id=f"mem_{org}_{user}",
        organization_id=org,
        user_id=user,
        role=role,
        created_at=T0 + timedelta(minutes=minutes),
    )


def test_the_admins_are_the_organizations_own_oldest_first(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        uow.memberships.add(member("org_a", "user_late_admin", Role.ADMIN, 5))
        uow.memberships.add(member("org_a", "user_member", Role.MEMBER, 1))
        uow.memberships.add(member("org_a", "user_first_admin", Role.ADMIN, 2))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.memberships.add(member("org_b", "user_other_admin", Role.ADMIN, 0))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert [m.user_id for m in uow.memberships.admins()] == [
            "user_first_admin",
            "user_late_admin",
        ]
    with storage.uow("org_nobody") as uow:
        assert uow.memberships.admins() == []


def test_a_days_alert_marks_round_trip(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        day = uow.budget_days.lock(T0.date())
        assert (day.warned_at, day.limit_alerted_at) == (None, None)
        day.warned_at, day.limit_alerted_at = T0, T0 + timedelta(seconds=1)
        uow.budget_days.update(day)
        uow.commit()
    with storage.uow("org_a") as uow:
        locked = uow.budget_days.lock(T0.date())
        assert (locked.warned_at, locked.limit_alerted_at) == (T0, T0 + timedelta(seconds=1))
        assert uow.budget_days.get(T0.date()) == locked


def test_blocked_items_of_a_day_that_is_over_are_found_in_every_organization(
    storage: Storage,
) -> None:
    seed(storage, "org_a", "org_b")
    rows = {
        # (org, item, slot, status)
        ("org_a", "queue_a_blocked", T0, QueueStatus.BLOCKED),
        ("org_a", "queue_a_pending", T0 + timedelta(minutes=1), QueueStatus.PENDING),
        ("org_a", "queue_a_today", MIDNIGHT, QueueStatus.BLOCKED),
        ("org_b", "queue_b_blocked", T0 + timedelta(hours=2), QueueStatus.BLOCKED),
    }
    for org, item_id, slot, status in rows:
        with storage.uow(org) as uow:
            episode_id = f"ep_{item_id}"
            uow.episodes.add(b.episode(episode_id, f"proj_{org}", org, scheduled_for=slot))
            uow.queue.add(
                b.queue_item(item_id, f"proj_{org}", episode_id, org, slot, status=status)
            )
            uow.commit()
    assert storage.gateway.blocked_items_before(MIDNIGHT, 10) == [
        TenantRef("org_a", "queue_a_blocked"),
        TenantRef("org_b", "queue_b_blocked"),
    ]
    assert storage.gateway.blocked_items_before(MIDNIGHT, 1) == [
        TenantRef("org_a", "queue_a_blocked")
    ]
    assert storage.gateway.blocked_items_before(T0, 10) == []
