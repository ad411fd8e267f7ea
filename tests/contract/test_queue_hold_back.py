"""Holding back an organization's waiting slots: ``queue.pending_due_for_update``.

When the day's cost breaker opens, the pending items that would be claimed before the
next midnight are blocked in the same transaction. The read holds each item so a claim
cannot take it meanwhile, and skips one somebody else holds (``SKIP LOCKED``), the
same on every adapter.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from manyfutures.core.scheduling.queue import QueueStatus
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

MIDNIGHT = T0.replace(hour=0) + timedelta(days=1)


def fill(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        for n, (offset, status) in enumerate(
            [
                (timedelta(hours=-1), QueueStatus.PENDING),  # overdue
                (timedelta(hours=3), QueueStatus.PENDING),  # later today
                (timedelta(hours=16), QueueStatus.PENDING),  # tomorrow
                (timedelta(hours=-2), QueueStatus.PROCESSING),
                (timedelta(hours=-30), QueueStatus.BLOCKED),  # yesterday's
            ]
        ):
            uow.queue.add(
                b.queue_item(
                    f"queue_{n}", "proj_org_a", "ep_org_a", slot=T0 + offset, status=status
                )
            )
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.queue.add(b.queue_item("queue_b", "proj_org_b", "ep_org_b", "org_b", slot=T0))
        uow.commit()


def test_only_this_organizations_pending_items_due_before_midnight(storage: Storage) -> None:
    fill(storage)
    with storage.uow("org_a") as uow:
        held = uow.queue.pending_due_for_update(MIDNIGHT)
        assert [item.id for item in held] == ["queue_0", "queue_1"]
        for item in held:
            item.block("Daily limit exceeded", MIDNIGHT - timedelta(days=1))
            uow.queue.update(item)
        uow.commit()
    with storage.uow("org_a") as uow:
        statuses = {i.id: i.status for i in uow.queue.list_for_project("proj_org_a")}
    assert statuses == {
        "queue_0": QueueStatus.BLOCKED,
        "queue_1": QueueStatus.BLOCKED,
        "queue_2": QueueStatus.PENDING,
        "queue_3": QueueStatus.PROCESSING,
        "queue_4": QueueStatus.BLOCKED,
    }
    with storage.uow("org_b") as uow:
        item = uow.queue.get("queue_b")
        assert item is not None and item.status is QueueStatus.PENDING


def test_the_items_held_are_not_claimed_meanwhile(storage: Storage) -> None:
    fill(storage)
    with storage.uow("org_a") as uow:
        assert len(uow.queue.pending_due_for_update(MIDNIGHT)) == 2
        claimed = storage.gateway.claim_due_items(
            T0 + timedelta(hours=4), timedelta(minutes=1), 10, 3
        )
        assert [item.id for item in claimed] == ["queue_b"]


def test_an_item_another_unit_of_work_holds_is_skipped_not_waited_for(storage: Storage) -> None:
    fill(storage)
    read: list[list[str]] = []

    def other() -> None:
        with storage.uow("org_a") as uow:
            read.append([i.id for i in uow.queue.pending_due_for_update(MIDNIGHT)])

    with storage.uow("org_a") as first:
        assert first.queue.get_for_update("queue_0") is not None
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=10)
    assert read == [["queue_1"]]


def test_the_days_blocked_items_are_found_and_held(storage: Storage) -> None:
    fill(storage)
    start_of_day = MIDNIGHT - timedelta(days=1)
    with storage.uow("org_a") as uow:
        assert [i.id for i in uow.queue.blocked_for_update(start_of_day, MIDNIGHT)] == []
        assert [i.id for i in uow.queue.blocked_for_update(T0 - timedelta(days=2), MIDNIGHT)] == [
            "queue_4"
        ]
        held = uow.queue.pending_due_for_update(MIDNIGHT)
        for item in held:
            item.block("Daily limit exceeded", MIDNIGHT - timedelta(days=1))
            uow.queue.update(item)
        uow.commit()
    with storage.uow("org_a") as uow:
        found = uow.queue.blocked_for_update(start_of_day, MIDNIGHT)
        assert [i.id for i in found] == ["queue_0", "queue_1"]
        for item in found:
            item.unblock()
            uow.queue.update(item)
        uow.commit()
    with storage.uow("org_b") as uow:
        assert uow.queue.blocked_for_update(start_of_day, MIDNIGHT) == []
