"""Real dispatcher processes on PostgreSQL, delivering to a real SMTP server.

A dispatcher killed (SIGKILL) while the server holds its DATA reply leaves the
message leased; once the lease runs out the message goes out again with the same
Message-ID. Two dispatchers draining 500 messages never deliver one twice. Every
session is STARTTLS, verified against the test's CA.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from manyfutures.adapters.email.smtp import SmtpEmailSender
from manyfutures.adapters.email.smtp_url import parse_smtp_url
from manyfutures.adapters.postgres.outbox import PostgresOutboxGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.outbox.model import OutboxMessage, OutboxStatus
from manyfutures.core.outbox.use_cases import DispatchOutbox
from tests.integration.outbox.processes import dispatch_once, dispatch_until_empty
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction
from tests.support import builders as b
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.support.fakes import ManualClock
from tests.support.smtp_server import HOLD, SENDER, SENDER_DOMAIN, RecordingHandler, smtp_server
from tests.support.tls import Certificates

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def trust_the_test_ca(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    """The children build their senders from settings, as production does, and verify the
    server against OpenSSL's trust store: ``SSL_CERT_FILE`` (inherited) names the test CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))


APP_URL = "https://app.manyfutures.example"
LEASE_SECONDS = 30
ORGS = ("org_a", "org_b", "org_c", "org_d", "org_e")


def environ(db: MigratedDatabase, smtp_port: int, **extra: str) -> dict[str, str]:
    return {
        "MANYFUTURES_STORAGE": "postgres",
        "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        "MANYFUTURES_PUBLIC_URL": "https://api.manyfutures.example",
        "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
        "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        "MANYFUTURES_EMAIL": "smtp",
        "MANYFUTURES_APP_URL": APP_URL,
        "MANYFUTURES_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MANYFUTURES_SMTP_FROM": SENDER,
        "MANYFUTURES_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        **extra,
    }


def add_messages(db: MigratedDatabase, orgs: tuple[str, ...], per_org: int) -> set[str]:
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    now = datetime.now(UTC)
    ids = set()
    for org in orgs:
        with factory(org) as uow:
            uow.organizations.add(b.organization(org))
            for n in range(per_org):
                message_id = f"outbox_{org}_{n:04d}"
                uow.outbox.add(b.outbox_message(message_id, org, available_at=now, created_at=now))
                ids.add(message_id)
            uow.commit()
    return ids


def stored(db: MigratedDatabase, message_id: str, org: str) -> OutboxMessage:
    with PostgresUnitOfWorkFactory(db.app_engine)(org) as uow:
        message = uow.outbox.get(message_id)
    assert message is not None
    return message


def test_a_dispatcher_killed_mid_send_is_replaced_once_its_lease_runs_out(
    db: MigratedDatabase, certificates: Certificates
) -> None:
    (message_id,) = add_messages(db, ("org_a",), per_org=1)
    server = RecordingHandler(HOLD)
    context = multiprocessing.get_context("fork")
    with smtp_server(server, **certificates.starttls()) as port:
        child = context.Process(target=dispatch_once, args=(environ(db, port),))
        child.start()
        try:
            assert server.holding.wait(30), "the dispatcher never reached DATA"
        finally:
            os.kill(child.pid or 0, signal.SIGKILL)
            child.join(10)
        assert child.exitcode == -signal.SIGKILL
        leased = stored(db, message_id, "org_a")
        assert (leased.status, leased.attempts) == (OutboxStatus.PENDING, 1)
        assert leased.lease_until is not None
        # The child leased it for the configured 30 s, from a moment ago.
        remaining = leased.lease_until - datetime.now(UTC)
        assert timedelta(seconds=LEASE_SECONDS - 25) < remaining <= timedelta(seconds=LEASE_SECONDS)

        # A second dispatcher, on a clock moved to the lease's end (nobody sleeps 30 s).
        clock = ManualClock(leased.lease_until - timedelta(microseconds=1))
        sender = SmtpEmailSender(
            parse_smtp_url(f"smtp://127.0.0.1:{port}"),
            SENDER,
            timeout_seconds=5,
            tls=certificates.client,
        )
        replacement = DispatchOutbox(clock, PostgresOutboxGateway(db.app_engine), sender)
        assert replacement().claimed == 0  # still the dead dispatcher's
        clock.advance(timedelta(microseconds=1))
        assert replacement().sent == 1

    expected = f"<{message_id}@{SENDER_DOMAIN}>"
    assert server.message_ids() == [expected, expected]
    sent = stored(db, message_id, "org_a")
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, 2)


def test_two_dispatcher_processes_deliver_500_messages_each_exactly_once(
    db: MigratedDatabase, certificates: Certificates
) -> None:
    ids = add_messages(db, ORGS, per_org=100)
    assert len(ids) == 500
    server = RecordingHandler()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    results: multiprocessing.Queue[int] = context.Queue()
    with smtp_server(server, **certificates.starttls()) as port:
        settings = environ(db, port, MANYFUTURES_OUTBOX_BATCH_SIZE="10")
        children = [
            context.Process(target=dispatch_until_empty, args=(settings, start, results))
            for _ in range(2)
        ]
        for child in children:
            child.start()
        delivered = [results.get(timeout=120) for _ in children]
        for child in children:
            child.join(30)
            assert child.exitcode == 0

    received = Counter(server.message_ids())
    assert received == Counter({f"<{message_id}@{SENDER_DOMAIN}>": 1 for message_id in ids})
    assert sum(delivered) == 500
    assert all(delivered), f"one dispatcher did all the work: {delivered}"
    for org in ORGS:
        with tenant_transaction(db.app_engine, org) as connection:
            statuses = dict(
                connection.execute(
                    text("SELECT status, count(*) FROM outbox_messages GROUP BY status")
                ).all()
            )
        assert statuses == {"sent": 100}, org
