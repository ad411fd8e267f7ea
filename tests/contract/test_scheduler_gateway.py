"""Cross-tenant discovery and claiming, shared by every storage adapter."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.scheduling.queue import QueueStatus
from tests.contract.conftest import Storage
from tests.support import builders as b
from tests.support.builders import T0

LEASE = timedelta(minutes=1)  # the start lease a claim gives


def add_items(storage: Storage, org: str, *items: tuple[str, timedelta, dict[str, object]]) -> None:
    with storage.uow(org) as uow:
        if uow.organizations.get() is None:
            uow.organizations.add(b.organization(org))
            uow.projects.add(b.project(f"proj_{org}", org))
            uow.episodes.add(b.episode(f"ep_{org}", f"proj_{org}", org))
        for item_id, offset, extra in items:
            uow.queue.add(
                b.queue_item(item_id, f"proj_{org}", f"ep_{org}", org, slot=T0 + offset, **extra)
            )
        uow.commit()


def test_due_projects_are_active_undeleted_and_due(storage: Storage) -> None:
    with storage.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_due", next_scheduled_at=T0))
        uow.projects.add(b.project("proj_later", next_scheduled_at=T0 + timedelta(seconds=1)))
        uow.projects.add(
            b.project("proj_paused", next_scheduled_at=T0, status=ProjectStatus.PAUSED)
        )
        uow.projects.add(b.project("proj_deleted", next_scheduled_at=T0, deleted_at=T0))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.organizations.add(b.organization("org_b"))
        uow.projects.add(b.project("proj_b", "org_b", next_scheduled_at=T0 - timedelta(hours=1)))
        uow.commit()
    due = storage.gateway.due_projects(T0, limit=10)
    assert [(r.organization_id, r.resource_id) for r in due] == [
        ("org_b", "proj_b"),
        ("org_a", "proj_due"),
    ]
    assert len(storage.gateway.due_projects(T0, limit=1)) == 1


def test_projects_of_a_deleted_organization_are_never_due(storage: Storage) -> None:
    """A deleted organization's projects stay for audit; whatever their status, none is due."""
    with storage.uow("org_gone") as uow:
        uow.organizations.add(b.organization("org_gone", deleted_at=T0 - timedelta(days=1)))
        uow.projects.add(b.project("proj_gone", "org_gone", next_scheduled_at=T0))
        uow.commit()
    with storage.uow("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_kept", next_scheduled_at=T0))
        uow.commit()
    due = storage.gateway.due_projects(T0, limit=10)
    assert [(r.organization_id, r.resource_id) for r in due] == [("org_a", "proj_kept")]


def test_claim_marks_items_processing_in_due_order(storage: Storage) -> None:
    add_items(
        storage,
        "org_a",
        ("queue_late", timedelta(minutes=-1), {}),
        ("queue_early", timedelta(minutes=-5), {}),
        ("queue_future", timedelta(hours=1), {}),
    )
    add_items(storage, "org_b", ("queue_b", timedelta(minutes=-3), {}))
    claimed = storage.gateway.claim_due_items(T0, LEASE, batch_size=10, max_attempts=3)
    assert [i.id for i in claimed] == ["queue_early", "queue_b", "queue_late"]
    for item in claimed:
        assert item.status is QueueStatus.PROCESSING
        assert item.attempt_count == 1
        assert item.lease_expires_at == T0 + LEASE
        assert item.picked_up_at == T0
    with storage.uow("org_b") as uow:
        stored = uow.queue.get("queue_b")
        assert stored is not None
        assert stored.status is QueueStatus.PROCESSING
    assert list(storage.gateway.claim_due_items(T0, LEASE, 10, 3)) == []


def test_claim_respects_batch_size(storage: Storage) -> None:
    add_items(storage, "org_a", *((f"queue_{n}", timedelta(minutes=-n), {}) for n in range(5)))
    first = storage.gateway.claim_due_items(T0, LEASE, batch_size=2, max_attempts=3)
    second = storage.gateway.claim_due_items(T0, LEASE, batch_size=10, max_attempts=3)
    assert len(first) == 2
    assert len(second) == 3
    assert not {i.id for i in first} & {i.id for i in second}


def test_expired_leases_are_reclaimed_until_attempts_run_out(storage: Storage) -> None:
    expired = {"status": QueueStatus.PROCESSING, "lease_expires_at": T0 - timedelta(seconds=1)}
    add_items(
        storage,
        "org_a",
        ("queue_retry", timedelta(hours=-1), {**expired, "attempt_count": 1}),
        ("queue_spent", timedelta(hours=-2), {**expired, "attempt_count": 3}),
        (
            "queue_held",
            timedelta(hours=-3),
            {
                "status": QueueStatus.PROCESSING,
                "attempt_count": 1,
                "lease_expires_at": T0 + timedelta(minutes=1),
            },
        ),
    )
    claimed = storage.gateway.claim_due_items(T0, LEASE, batch_size=10, max_attempts=3)
    assert [(i.id, i.attempt_count) for i in claimed] == [("queue_retry", 2)]
    abandoned = storage.gateway.abandoned_items(T0, max_attempts=3)
    assert [(r.organization_id, r.resource_id) for r in abandoned] == [("org_a", "queue_spent")]


def test_a_claim_skips_an_item_a_unit_of_work_holds_and_takes_it_once_released(
    storage: Storage,
) -> None:
    """A job holding its item (to open its run) is never overtaken by the reclaim of the
    start lease that just ran out: the claim skips the item until the job's unit ends."""
    lapsed = {
        "status": QueueStatus.PROCESSING,
        "attempt_count": 1,
        "lease_expires_at": T0 - timedelta(seconds=1),
    }
    add_items(storage, "org_a", ("queue_held", timedelta(hours=-1), lapsed))
    with storage.uow("org_a") as uow:
        held = uow.queue.get_for_update("queue_held")
        assert held is not None and held.attempt_count == 1
        assert storage.gateway.claim_due_items(T0, LEASE, batch_size=10, max_attempts=3) == []
    (claimed,) = storage.gateway.claim_due_items(T0, LEASE, batch_size=10, max_attempts=3)
    assert (claimed.id, claimed.attempt_count) == ("queue_held", 2)


def test_a_run_past_its_deadline_is_recovered_never_claimed_again(storage: Storage) -> None:
    """The deadline's failure must be recorded (with backoff) before another attempt."""
    timed_out = {
        "status": QueueStatus.PROCESSING,
        "attempt_count": 1,
        "run_opened_at": T0 - timedelta(minutes=10),
        "lease_expires_at": T0,
    }
    running = {**timed_out, "lease_expires_at": T0 + timedelta(seconds=1)}
    add_items(
        storage,
        "org_a",
        ("queue_timed_out", timedelta(hours=-1), timed_out),
        ("queue_running", timedelta(hours=-2), running),
    )
    assert list(storage.gateway.claim_due_items(T0, LEASE, 10, 3)) == []
    abandoned = storage.gateway.abandoned_items(T0, max_attempts=3)
    assert [r.resource_id for r in abandoned] == ["queue_timed_out"]


def test_a_claim_starts_with_no_run_opened(storage: Storage) -> None:
    """A retried item still carries its previous attempt's opening; the claim clears it."""
    retried = {"attempt_count": 1, "run_opened_at": T0 - timedelta(minutes=10)}
    add_items(storage, "org_a", ("queue_1", timedelta(minutes=-1), retried))
    (claimed,) = storage.gateway.claim_due_items(T0, LEASE, 10, 3)
    assert (claimed.attempt_count, claimed.run_opened_at) == (2, None)
    with storage.uow("org_a") as uow:
        assert uow.queue.get("queue_1") == claimed


def test_pending_items_wait_for_their_backoff(storage: Storage) -> None:
    add_items(
        storage,
        "org_a",
        (
            "queue_1",
            timedelta(hours=-1),
            {"attempt_count": 1, "available_at": T0 + timedelta(seconds=2)},
        ),
    )
    assert list(storage.gateway.claim_due_items(T0, LEASE, 10, 3)) == []
    later = storage.gateway.claim_due_items(T0 + timedelta(seconds=2), LEASE, 10, 3)
    assert [i.id for i in later] == ["queue_1"]


def test_blocked_cancelled_and_final_items_are_never_claimed(storage: Storage) -> None:
    add_items(
        storage,
        "org_a",
        *(
            (f"queue_{status.value}", timedelta(minutes=-n), {"status": status})
            for n, status in enumerate(
                (
                    QueueStatus.BLOCKED,
                    QueueStatus.COMPLETED,
                    QueueStatus.FAILED,
                    QueueStatus.CANCELLED,
                )
            )
        ),
    )
    assert list(storage.gateway.claim_due_items(T0, LEASE, 10, 3)) == []
