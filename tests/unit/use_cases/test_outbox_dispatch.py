"""The outbox dispatcher over the in-memory adapters, with a scripted mail server.

Real SMTP refusals (aiosmtpd) and both storages are exercised in
tests/integration/outbox/; these tests pin the dispatcher's own decisions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from manyfutures.core.generation.use_cases import ApplyGenerationResult, ResultOutcome
from manyfutures.core.outbox.model import OutboxMessage, OutboxStatus
from manyfutures.core.outbox.ports import PermanentDeliveryError, TransientDeliveryError
from manyfutures.core.outbox.use_cases import (
    DeliveryRequest,
    DispatchOutbox,
    DispatchReport,
    RequestOutboxDelivery,
    delivery_policy,
)
from manyfutures.core.shared.actor import Actor
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import ScriptedEmailSender
from tests.support.wrapped import CommitFails
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import start_now, succeeded

LEASE = timedelta(minutes=10)


def add_messages(harness: Harness, *messages: OutboxMessage) -> None:
    with harness.uow() as uow:
        if uow.organizations.get() is None:
            uow.organizations.add(b.organization())
        for message in messages:
            uow.outbox.add(message)
        uow.commit()


def stored(harness: Harness, message_id: str) -> OutboxMessage:
    with harness.uow() as uow:
        message = uow.outbox.get(message_id)
    assert message is not None
    return message


def dispatcher(harness: Harness, sender: ScriptedEmailSender, **options: Any) -> DispatchOutbox:
    return DispatchOutbox(harness.clock, harness.outbox, sender, lease=LEASE, **options)


def test_each_outcome_is_recorded_and_reported(harness: Harness) -> None:
    add_messages(harness, *(b.outbox_message(f"outbox_{n}") for n in range(3)))
    sender = ScriptedEmailSender(
        None, TransientDeliveryError("451 greylisted"), PermanentDeliveryError("550 unknown")
    )
    report = dispatcher(harness, sender, policy=delivery_policy(3))()
    assert report == DispatchReport(claimed=3, sent=1, retrying=1, dead=1)
    assert [m.message_id for m in sender.delivered] == ["outbox_0"]
    assert stored(harness, "outbox_0").status is OutboxStatus.SENT
    retrying = stored(harness, "outbox_1")
    assert (retrying.status, retrying.last_error) == (OutboxStatus.PENDING, "451 greylisted")
    assert retrying.available_at == T0 + timedelta(minutes=1)
    dead = stored(harness, "outbox_2")
    assert (dead.status, dead.last_error, dead.dead_at) == (OutboxStatus.DEAD, "550 unknown", T0)


def test_the_sender_gets_the_message_as_it_was_written_html_included(harness: Harness) -> None:
    add_messages(
        harness,
        b.outbox_message("outbox_1", html="<p>Read it</p>"),
        b.outbox_message("outbox_2"),
    )
    sender = ScriptedEmailSender()
    dispatcher(harness, sender)()
    with_html, text_only = sender.delivered
    assert (with_html.subject, with_html.text, with_html.html) == (
        "Your episode is ready",
        "Read it at /episodes/ep_1",
        "<p>Read it</p>",
    )
    assert text_only.html is None


def test_a_sender_bug_is_retried_like_a_transient_refusal(harness: Harness) -> None:
    add_messages(harness, b.outbox_message())
    sender = ScriptedEmailSender(KeyError("header"))
    assert dispatcher(harness, sender)().retrying == 1
    message = stored(harness, "outbox_1")
    assert (message.status, message.last_error) == (OutboxStatus.PENDING, "KeyError: 'header'")


def test_a_message_whose_lease_ran_out_before_its_turn_is_not_sent(harness: Harness) -> None:
    """Another dispatcher may hold it by then: sending it too would only make a duplicate."""
    add_messages(harness, b.outbox_message("outbox_1"), b.outbox_message("outbox_2"))
    slow = ScriptedEmailSender(clock=harness.clock, takes=LEASE)
    report = dispatcher(harness, slow)()
    assert report == DispatchReport(claimed=2, sent=1)
    assert [m.message_id for m in slow.attempted] == ["outbox_1"]
    skipped = stored(harness, "outbox_2")
    assert (skipped.status, skipped.attempts) == (OutboxStatus.PENDING, 1)
    assert dispatcher(harness, slow)().sent == 1
    assert stored(harness, "outbox_2").attempts == 2


def test_an_empty_outbox_sends_nothing(harness: Harness) -> None:
    sender = ScriptedEmailSender()
    assert dispatcher(harness, sender)() == DispatchReport()
    assert sender.attempted == []


def test_a_publication_that_is_not_committed_sends_no_email(harness: Harness, alice: Actor) -> None:
    run_id = start_now(harness, alice)
    real = harness.uow_factory
    failing = ApplyGenerationResult(
        lambda org: CommitFails(real(org)),  # type: ignore[arg-type, return-value]
        harness.clock,
        harness.container.adapters.ids(),
        harness.container.adapters.retry_policy(),
        harness.container.adapters.email_templates(),
    )
    with pytest.raises(ConnectionError):
        failing(succeeded(run_id))
    assert harness.dispatch_outbox() == DispatchReport()
    assert harness.email.sent == []
    # The same result, committed this time, publishes and emails once.
    assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
    assert harness.dispatch_outbox().sent == 1
    assert len(harness.email.sent) == 1


class WaitingJobs:
    """A job queue that only counts: what is waiting, and what was added."""

    def __init__(self, waiting: int = 0) -> None:
        self.waiting = waiting
        self.added = 0

    def request(self, jobs: int) -> int:
        missing = max(0, jobs - self.waiting)
        self.waiting += missing
        self.added += missing
        return missing


def requester(harness: Harness, jobs: WaitingJobs) -> RequestOutboxDelivery:
    return RequestOutboxDelivery(harness.clock, harness.outbox, jobs, batch_size=10, max_jobs=4)


def test_delivery_jobs_are_requested_one_per_batch_of_due_mail(harness: Harness) -> None:
    jobs = WaitingJobs()
    assert requester(harness, jobs)() == DeliveryRequest()
    add_messages(harness, *(b.outbox_message(f"outbox_{n}") for n in range(25)))
    add_messages(harness, b.outbox_message("outbox_later", available_at=T0 + timedelta(hours=1)))
    assert requester(harness, jobs)() == DeliveryRequest(due=25, jobs_added=3)
    # Jobs still waiting count: a beat while the workers are busy adds nothing.
    assert requester(harness, jobs)() == DeliveryRequest(due=25, jobs_added=0)
    assert jobs.added == 3


def test_a_backlog_queues_no_more_jobs_than_the_cap(harness: Harness) -> None:
    add_messages(harness, *(b.outbox_message(f"outbox_{n:03d}") for n in range(100)))
    jobs = WaitingJobs()
    assert requester(harness, jobs)() == DeliveryRequest(due=40, jobs_added=4)
