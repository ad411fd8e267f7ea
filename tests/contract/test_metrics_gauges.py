"""The metrics beat's counts across organizations (``metrics_gauges``, ADR 0007): live
queue items by status, outbox messages pending and dead, organizations whose breaker is
open today; every organization's rows, deleted organizations' breakers left out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from manyfutures.adapters.metrics.gauges import GaugeReading
from tests.contract.conftest import Storage
from tests.contract.test_cost_gate import reserve
from tests.contract.test_outbox import POLICY, add_messages, claim
from tests.contract.test_queue_hold_back import fill
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import SequentialIds


def test_nothing_stored_reads_zero(storage: Storage) -> None:
    reading = storage.gauges.read(T0)
    assert reading == GaugeReading(
        queue_items={"pending": 0, "processing": 0, "blocked": 0},
        outbox_backlog=0,
        outbox_dead=0,
        breakers_open=0,
    )


def test_every_organizations_rows_are_counted(storage: Storage) -> None:
    fill(storage)  # org_a: 3 pending, 1 processing, 1 blocked; org_b: 1 pending
    add_messages(storage, "org_a", b.outbox_message("outbox_1"), b.outbox_message("outbox_2"))
    add_messages(storage, "org_b", b.outbox_message("outbox_3", "org_b"))
    (first, *_) = claim(storage, batch=1)
    assert not first.record_failure("550 no such user", T0, POLICY, permanent=True)
    storage.outbox.record_failure(first)
    ids = SequentialIds()
    for org, amount in (("org_a", Decimal("60")), ("org_b", Decimal("1"))):
        with storage.uow(org) as uow:
            reserve(uow, ids, None, limit="50", amount=amount)
            uow.commit()

    reading = storage.gauges.read(T0)
    assert reading.queue_items == {"pending": 4, "processing": 1, "blocked": 1}
    assert (reading.outbox_backlog, reading.outbox_dead) == (2, 1)
    assert reading.breakers_open == 1  # org_a's refusal opened it; org_b is under its limit
    assert storage.gauges.read(T0 + timedelta(days=1)).breakers_open == 0  # a new day


def test_a_raised_limit_closes_the_breaker_and_a_deleted_organization_is_left_out(
    storage: Storage,
) -> None:
    fill(storage)
    with storage.uow("org_a") as uow:
        reserve(uow, SequentialIds(), None, limit="50", amount=Decimal("60"))
        uow.commit()
    assert storage.gauges.read(T0).breakers_open == 1
    with storage.uow("org_a") as uow:
        organization = uow.organizations.get()
        assert organization is not None
        organization.daily_cost_limit_gbp = Decimal("100")
        uow.organizations.update(organization)
        uow.commit()
    assert storage.gauges.read(T0).breakers_open == 0
    with storage.uow("org_a") as uow:
        organization = uow.organizations.get()
        assert organization is not None
        organization.daily_cost_limit_gbp = Decimal("50")
        organization.deleted_at = T0
        uow.organizations.update(organization)
        uow.commit()
    assert storage.gauges.read(T0).breakers_open == 0
