"""The outbox's storage: the tenant-scoped repository and the dispatcher's gateway.

Run unchanged against every adapter, so the in-memory fake and the Postgres functions
(migrations 0003 and 0007) agree on what is claimed, when, and what each outcome stores.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.outbox.model import NO_ATTEMPT_LEFT, OutboxMessage, OutboxStatus
from manyfutures.core.outbox.use_cases import delivery_policy
from manyfutures.core.shared.errors import PermissionDeniedError
from tests.contract.conftest import Storage
from tests.support import builders as b
from tests.support.builders import T0

LEASE = timedelta(minutes=10)
POLICY = delivery_policy(3)


def add_messages(storage: Storage, org: str, *messages: OutboxMessage) -> None:
    with storage.uow(org) as uow:
        if uow.organizations.get() is None:
            uow.organizations.add(b.organization(org))
        for message in messages:
            uow.outbox.add(message)
        uow.commit()


def stored(storage: Storage, message_id: str, org: str = "org_a") -> OutboxMessage:
    with storage.uow(org) as uow:
        message = uow.outbox.get(message_id)
    assert message is not None
    return message


def claim(storage: Storage, at: timedelta = timedelta(), batch: int = 10) -> list[OutboxMessage]:
    return list(storage.outbox.claim_due(T0 + at, LEASE, batch, POLICY.max_attempts))


def test_a_message_round_trips_and_stays_in_its_organization(storage: Storage) -> None:
    message = b.outbox_message(
        "outbox_1",
        subject="Grüße — your episode",
        body="Line one\nLine two",
        attempts=2,
        available_at=T0 + timedelta(seconds=1.5),
        lease_until=T0 + timedelta(minutes=3),
        last_error="451 greylisted",
    )
    add_messages(storage, "org_a", message)
    add_messages(storage, "org_b")
    assert stored(storage, "outbox_1") == message
    with storage.uow("org_b") as uow:
        assert uow.outbox.get("outbox_1") is None
        with pytest.raises(PermissionDeniedError):
            uow.outbox.add(b.outbox_message("outbox_2", "org_a"))
            uow.commit()


def test_the_html_part_comes_back_from_every_read(storage: Storage) -> None:
    """Stored with the message, and returned by the dispatcher's claim and dead list too
    (in PostgreSQL those are functions returning the table's rows, not the repository)."""
    html = (
        '<p>Gr&uuml;&szlig;e &mdash; <a href="https://app.example.com/episodes/ep_1">read</a></p>'
    )
    add_messages(
        storage,
        "org_a",
        b.outbox_message("outbox_html", html=html),
        b.outbox_message("outbox_text_only", available_at=T0 + timedelta(seconds=1)),
    )
    assert stored(storage, "outbox_html").html == html
    assert stored(storage, "outbox_text_only").html is None
    (claimed,) = claim(storage)
    assert claimed.html == html
    assert not claimed.record_failure("550 no such user", T0, POLICY, permanent=True)
    storage.outbox.record_failure(claimed)
    (dead,) = storage.outbox.dead_messages(10)
    assert dead.html == html


def test_only_a_committed_message_is_ever_claimed(storage: Storage) -> None:
    add_messages(storage, "org_a")
    with storage.uow("org_a") as uow:
        uow.outbox.add(b.outbox_message("outbox_rolled_back"))
        uow.rollback()
    with storage.uow("org_a") as uow:
        uow.outbox.add(b.outbox_message("outbox_left_open"))
        assert uow.outbox.get("outbox_left_open") is not None  # the unit sees its own write
    assert claim(storage) == []
    add_messages(storage, "org_a", b.outbox_message("outbox_committed"))
    assert [m.id for m in claim(storage)] == ["outbox_committed"]


def test_claim_leases_due_messages_of_every_organization_in_due_order(storage: Storage) -> None:
    add_messages(
        storage,
        "org_a",
        b.outbox_message("outbox_a_late", available_at=T0 - timedelta(minutes=1)),
        b.outbox_message("outbox_a_early", available_at=T0 - timedelta(minutes=5)),
        b.outbox_message("outbox_a_future", available_at=T0 + timedelta(seconds=1)),
        b.outbox_message("outbox_a_sent", status=OutboxStatus.SENT, sent_at=T0),
        b.outbox_message("outbox_a_dead", status=OutboxStatus.DEAD, dead_at=T0),
    )
    add_messages(
        storage, "org_b", b.outbox_message("outbox_b", "org_b", available_at=T0 - timedelta(3))
    )
    claimed = claim(storage)
    assert [m.id for m in claimed] == ["outbox_b", "outbox_a_early", "outbox_a_late"]
    for message in claimed:
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
        assert message.lease_until == message.available_at == T0 + LEASE
        assert stored(storage, message.id, message.organization_id) == message
    assert claim(storage) == []
    assert [m.id for m in claim(storage, at=timedelta(seconds=1))] == ["outbox_a_future"]


def test_claim_respects_the_batch_size(storage: Storage) -> None:
    add_messages(storage, "org_a", *(b.outbox_message(f"outbox_{n}") for n in range(5)))
    first = claim(storage, batch=2)
    second = claim(storage, batch=10)
    assert [m.id for m in first] == ["outbox_0", "outbox_1"]
    assert [m.id for m in second] == ["outbox_2", "outbox_3", "outbox_4"]


def test_the_due_count_is_what_a_claim_could_take_now_up_to_the_cap(storage: Storage) -> None:
    add_messages(
        storage,
        "org_a",
        b.outbox_message("outbox_a_1", available_at=T0 - timedelta(minutes=1)),
        b.outbox_message("outbox_a_2", available_at=T0),
        b.outbox_message("outbox_a_future", available_at=T0 + timedelta(seconds=1)),
        b.outbox_message("outbox_a_sent", status=OutboxStatus.SENT, sent_at=T0),
        b.outbox_message("outbox_a_dead", status=OutboxStatus.DEAD, dead_at=T0),
    )
    add_messages(storage, "org_b", b.outbox_message("outbox_b", "org_b"))
    assert storage.outbox.count_due(T0, cap=10) == 3
    assert storage.outbox.count_due(T0, cap=2) == 2
    claim(storage, batch=1)  # leased: no longer due until its lease runs out
    assert storage.outbox.count_due(T0, cap=10) == 2
    assert storage.outbox.count_due(T0 + timedelta(seconds=1), cap=10) == 3


def test_a_lease_that_runs_out_makes_the_message_claimable_again(storage: Storage) -> None:
    add_messages(storage, "org_a", b.outbox_message())
    (first,) = claim(storage)
    assert claim(storage, at=LEASE - timedelta(microseconds=1)) == []
    (again,) = claim(storage, at=LEASE)
    assert (again.id, again.attempts, again.lease_until) == (first.id, 2, T0 + 2 * LEASE)


def test_a_message_whose_last_attempt_was_lost_is_made_dead_not_claimed(storage: Storage) -> None:
    add_messages(
        storage,
        "org_a",
        b.outbox_message("outbox_lost", attempts=POLICY.max_attempts),
        b.outbox_message("outbox_fresh", attempts=POLICY.max_attempts - 1),
    )
    assert [m.id for m in claim(storage)] == ["outbox_fresh"]
    lost = stored(storage, "outbox_lost")
    assert (lost.status, lost.dead_at, lost.last_error) == (OutboxStatus.DEAD, T0, NO_ATTEMPT_LEFT)
    assert lost.lease_until is None
    assert [m.id for m in storage.outbox.dead_messages(10)] == ["outbox_lost"]


def test_mark_sent_stores_the_outcome_once(storage: Storage) -> None:
    add_messages(storage, "org_a", b.outbox_message())
    (message,) = claim(storage)
    message.mark_sent(T0 + timedelta(seconds=2))
    assert storage.outbox.mark_sent(message) is True
    assert stored(storage, message.id) == message
    assert storage.outbox.mark_sent(message) is False
    assert claim(storage, at=timedelta(days=1)) == []


def test_a_success_after_the_lease_ran_out_still_counts(storage: Storage) -> None:
    """The slow dispatcher's message did go out; the newer claim's send is the duplicate."""
    add_messages(storage, "org_a", b.outbox_message())
    (slow,) = claim(storage)
    (newer,) = claim(storage, at=LEASE)
    slow.mark_sent(T0 + LEASE + timedelta(seconds=1))
    assert storage.outbox.mark_sent(slow) is True
    after = stored(storage, slow.id)
    assert (after.status, after.attempts, after.sent_at) == (OutboxStatus.SENT, 2, slow.sent_at)
    assert newer.record_failure("451", T0 + LEASE, POLICY, permanent=False)
    assert storage.outbox.record_failure(newer) is False
    assert stored(storage, slow.id) == after


def test_a_transient_failure_waits_for_its_retry_time(storage: Storage) -> None:
    add_messages(storage, "org_a", b.outbox_message())
    (message,) = claim(storage)
    assert message.record_failure("451 try later", T0, POLICY, permanent=False)
    assert storage.outbox.record_failure(message) is True
    assert stored(storage, message.id) == message
    assert (message.lease_until, message.last_error) == (None, "451 try later")
    retry_at = message.available_at - T0
    assert claim(storage, at=retry_at - timedelta(microseconds=1)) == []
    (again,) = claim(storage, at=retry_at)
    assert again.attempts == 2


def test_a_final_failure_is_dead_and_listed_for_operators(storage: Storage) -> None:
    add_messages(storage, "org_a", b.outbox_message("outbox_a1"), b.outbox_message("outbox_a2"))
    add_messages(storage, "org_b", b.outbox_message("outbox_b1", "org_b"))
    for message in claim(storage):
        assert not message.record_failure("550 no such user", T0, POLICY, permanent=True)
        assert storage.outbox.record_failure(message) is True
        assert stored(storage, message.id, message.organization_id) == message
    dead = storage.outbox.dead_messages(10)
    assert [m.id for m in dead] == ["outbox_b1", "outbox_a2", "outbox_a1"]
    assert {m.status for m in dead} == {OutboxStatus.DEAD}
    assert dead[0] == stored(storage, "outbox_b1", "org_b")
    assert [m.id for m in storage.outbox.dead_messages(1, after_id="outbox_b1")] == ["outbox_a2"]
    assert claim(storage, at=timedelta(days=1)) == []


def test_a_stale_failure_changes_nothing(storage: Storage) -> None:
    """A dispatcher whose lease ran out reports after the message was claimed again."""
    add_messages(storage, "org_a", b.outbox_message())
    (stale,) = claim(storage)
    claim(storage, at=LEASE)
    before = stored(storage, stale.id)
    stale.record_failure("timed out", T0 + LEASE, POLICY, permanent=True)
    assert storage.outbox.record_failure(stale) is False
    assert stored(storage, stale.id) == before
