"""A published episode's email, from the real use case to a real SMTP server, per storage.

Each test gets a container built from settings as ``manyfutures run`` builds it
(``MANYFUTURES_EMAIL=smtp`` towards aiosmtpd on 127.0.0.1, over STARTTLS with the test's
own CA), for memory storage and for
PostgreSQL (the session's database, as the app role), with a manual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from dependency_injector import providers

from manyfutures.container import Container, build_container
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import GenerationSucceeded
from manyfutures.core.identity.model import User
from manyfutures.core.outbox.model import OutboxMessage
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.container import CONSOLE_SECRET, UNSUBSCRIBE_SECRET
from tests.support.fakes import ManualClock
from tests.support.smtp_server import SENDER, RecordingHandler, smtp_server
from tests.support.tls import Certificates

READER = "reader@example.org"
APP_URL = "https://app.manyfutures.example"
API_URL = "https://api.manyfutures.example"
MAX_ATTEMPTS = 3


@dataclass
class Delivery:
    container: Container
    clock: ManualClock
    server: RecordingHandler

    def publish(self) -> None:
        """The generator's result for a running episode of org_a, through the real use case."""
        self.container.generation.apply_generation_result()(
            GenerationSucceeded("org_a", "run_1", "Grid week", "Storage is cheap", "# Grid\n")
        )

    def dispatch(self, after: timedelta = timedelta()) -> None:
        self.clock.advance(after)
        self.container.outbox.dispatch_outbox()()

    def message(self, message_id: str) -> OutboxMessage:
        with self.container.adapters.uow_factory()("org_a") as uow:
            message = uow.outbox.get(message_id)
        assert message is not None
        return message

    def only_message_id(self) -> str:
        """The outbox id behind the one Message-ID the server saw (``<id@domain>``)."""
        (message_id,) = set(self.server.message_ids())
        return message_id.removeprefix("<").split("@")[0]


def seed_running_episode(container: Container) -> None:
    with container.adapters.uow_factory()("org_a") as uow:
        uow.organizations.add(b.organization())
        uow.users.add(User(id="user_1", email=READER, name="Reader", created_at=T0, updated_at=T0))
        uow.projects.add(b.project(created_by="user_1"))
        uow.episodes.add(b.episode(status=EpisodeStatus.GENERATING))
        uow.queue.add(
            b.queue_item(
                status=QueueStatus.PROCESSING,
                attempt_count=1,
                lease_expires_at=T0 + timedelta(minutes=15),
            )
        )
        uow.runs.add(b.generation_run())
        uow.commit()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def delivery(
    request: pytest.FixtureRequest,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Delivery]:
    server = RecordingHandler()
    # The container's sender verifies the server against the system's trust store, which
    # OpenSSL's own variable points at the test CA, as an operator would a private CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with smtp_server(server, **certificates.starttls()) as port:
        storage: dict[str, object] = {"storage": request.param}
        if request.param == "postgres":
            database: MigratedDatabase = request.getfixturevalue("postgres_database")
            database.reset()
            storage |= {"app_database_url": "unused: the engine is the test database's"}
            storage |= {"allow_dev_auth": True}
        settings = Settings(
            **storage,  # type: ignore[arg-type]
            email="smtp",
            app_url=APP_URL,
            public_url=API_URL,
            unsubscribe_secret=UNSUBSCRIBE_SECRET,
            console_secret=CONSOLE_SECRET,
            smtp_url=f"smtp://127.0.0.1:{port}",
            smtp_from=SENDER,
            smtp_timeout_seconds=5.0,
            outbox_max_attempts=MAX_ATTEMPTS,
        )
        settings.validate()
        container = build_container(settings)
        clock = ManualClock(T0 + timedelta(minutes=3))
        container.adapters.clock.override(providers.Object(clock))
        if request.param == "postgres":
            container.adapters.postgres_engine.override(providers.Object(database.app_engine))
        seed_running_episode(container)
        yield Delivery(container, clock, server)
