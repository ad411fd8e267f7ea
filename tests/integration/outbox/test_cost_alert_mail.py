"""The cost alerts reach the admins' inboxes once a day each, however many reservations race
across the thresholds: the real use cases, the outbox's dispatcher, and aiosmtpd over
STARTTLS, over memory storage and over PostgreSQL.

Twelve slots are due at once for a limit that admits five; their jobs start on six
threads together, so the fourth and fifth reservations (80 % and the limit) are
decided among racing reservers, each under the day's lock. The next day does it again.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from manyfutures.core.generation.use_cases import StartGenerationCommand
from manyfutures.core.scheduling.queue import ScheduleQueueItem
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.support.smtp_server import SENDER, RecordingHandler, smtp_server
from tests.support.tls import Certificates
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_cost_gate import create_due_projects, set_limit
from tests.unit.use_cases.test_scheduling import room_for

WARNING = "Org org_a has used 80 % of today's AI cost limit"
REACHED = "Org org_a has reached today's AI cost limit"
WORKERS = 6


@pytest.fixture
def server(
    certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with smtp_server(handler, **certificates.starttls()) as port:
        yield handler, port


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def harness(
    request: pytest.FixtureRequest, server: tuple[RecordingHandler, int]
) -> Iterator[Harness]:
    environment = {
        "MANYFUTURES_EMAIL": "smtp",
        "MANYFUTURES_PUBLIC_URL": "https://api.manyfutures.example",
        "MANYFUTURES_SMTP_URL": f"smtp://127.0.0.1:{server[1]}",
        "MANYFUTURES_SMTP_FROM": SENDER,
        "MANYFUTURES_APP_URL": "https://app.manyfutures.example",
        "MANYFUTURES_ALLOW_DEV_AUTH": "true",
    }
    if request.param == "postgres":
        db: MigratedDatabase = request.getfixturevalue("db")
        environment |= {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
        }
    harness = Harness(settings=Settings.from_env(environment))
    yield harness
    if request.param == "postgres":
        harness.container.adapters.postgres_engine().dispose()


def start_all_at_once(harness: Harness) -> None:
    """The worker's jobs for every dispatched item, on ``WORKERS`` threads released together."""
    jobs, harness.dispatcher.dispatched = harness.dispatcher.dispatched, []
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work(share: list[ScheduleQueueItem]) -> None:
        barrier.wait()
        for item in share:
            try:
                harness.start_generation(
                    StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
                )
            except BaseException as error:  # reported below, on the test thread
                errors.append(error)

    threads = [threading.Thread(target=work, args=(jobs[n::WORKERS],)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def a_busy_day(harness: Harness, admin: Actor) -> None:
    """Twelve slots due at once, started together: the limit (7.50) admits five of 1.50,
    the fourth reaching 80 % and the fifth the limit."""
    started = len(harness.generator.requests)
    create_due_projects(harness, admin, 12)
    harness.tick()
    start_all_at_once(harness)
    assert len(harness.generator.requests) - started == 5


def cost_alerts(handler: RecordingHandler) -> Counter[tuple[tuple[str, ...], str]]:
    return Counter((m.recipients, m.subject) for m in handler.received if "cost limit" in m.subject)


def test_one_warning_and_one_limit_mail_a_day_whatever_the_race(
    harness: Harness, server: tuple[RecordingHandler, int]
) -> None:
    handler, _ = server
    admin = harness.member("org_a", "user_alice", Role.ADMIN)
    harness.member("org_a", "user_dave")  # a member: never alerted
    room_for(harness, 24)
    set_limit(harness, "7.50")
    alice = ("user_alice@example.org",)

    a_busy_day(harness, admin)
    harness.dispatch_outbox()
    assert cost_alerts(handler) == {(alice, WARNING): 1, (alice, REACHED): 1}

    harness.clock.advance(timedelta(days=1))
    a_busy_day(harness, admin)
    harness.dispatch_outbox()
    assert cost_alerts(handler) == {(alice, WARNING): 2, (alice, REACHED): 2}
    assert all(m.encrypted for m in handler.received)
