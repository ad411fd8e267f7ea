"""The published-episode email through the outbox to a real SMTP server, in both storages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GenerationFailed,
    GenerationSucceeded,
)
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.storage import StorageUnitOfWork
from tests.integration.outbox.conftest import APP_URL, MAX_ATTEMPTS, READER, Delivery
from tests.support.smtp_server import SENDER_DOMAIN


def test_the_email_is_delivered_after_the_publication_commits(delivery: Delivery) -> None:
    delivery.publish()
    assert delivery.server.received == []  # nothing leaves inside the use case
    delivery.dispatch()
    (mail,) = delivery.server.received
    assert mail.recipients == (READER,)
    assert mail.subject == "Your Many Futures episode is ready: Grid week"
    # Both parts, rendered from the templates when the episode was published.
    assert mail.content_type == "multipart/alternative"
    assert f"Read it: {APP_URL}/episodes/ep_1" in mail.text
    assert mail.html is not None and f'href="{APP_URL}/episodes/ep_1"' in mail.html
    message_id = delivery.only_message_id()
    assert mail.message_id == f"<{message_id}@{SENDER_DOMAIN}>"
    sent = delivery.message(message_id)
    assert (sent.status, sent.attempts, sent.sent_at) == (
        OutboxStatus.SENT,
        1,
        delivery.clock.now(),
    )
    delivery.dispatch(after=timedelta(days=1))
    assert len(delivery.server.received) == 1


def test_an_episode_that_fails_for_good_emails_its_retry_link(delivery: Delivery) -> None:
    delivery.container.generation.apply_generation_result()(
        GenerationFailed("org_a", "run_1", "Writer agent timed out", retryable=False)
    )
    delivery.dispatch()
    (mail,) = delivery.server.received
    assert mail.recipients == (READER,)
    assert mail.subject == "Your Many Futures episode could not be written: Future of energy"
    assert mail.content_type == "multipart/alternative"
    assert f"{APP_URL}/episodes/ep_1/retry" in mail.text
    assert "Writer agent timed out" in mail.text
    assert mail.html is not None and f'href="{APP_URL}/episodes/ep_1/retry"' in mail.html


class _RefusedCommit:
    """The unit of work of a publication whose commit the database refuses."""

    def __init__(self, uow: StorageUnitOfWork) -> None:
        self._uow = uow

    def __getattr__(self, name: str) -> object:
        return getattr(self._uow, name)

    def __enter__(self) -> _RefusedCommit:
        self._uow.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._uow.__exit__(None, None, None)

    def commit(self) -> None:
        raise ConnectionError("the database went away before COMMIT")


def test_nothing_is_sent_when_the_publication_rolls_back(delivery: Delivery) -> None:
    factory = delivery.container.adapters.uow_factory()
    container = delivery.container
    refused = ApplyGenerationResult(
        lambda org: _RefusedCommit(factory(org)),  # type: ignore[arg-type, return-value]
        container.adapters.clock(),
        container.adapters.ids(),
        container.adapters.retry_policy(),
        container.adapters.email_templates(),
    )
    with pytest.raises(ConnectionError):
        refused(GenerationSucceeded("org_a", "run_1", "Grid week", "Summary", "# Grid\n"))
    delivery.dispatch(after=timedelta(hours=1))
    assert delivery.server.received == []
    with factory("org_a") as uow:
        episode = uow.episodes.get("ep_1")
    assert episode is not None and episode.published_at is None


def test_a_transient_refusal_is_retried_with_backoff(delivery: Delivery) -> None:
    delivery.server.answer("451 4.7.1 Greylisted, try again later")
    delivery.publish()
    delivery.dispatch()
    message = delivery.message(delivery.only_message_id())
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error is not None and "451" in message.last_error
    delivery.dispatch(after=timedelta(seconds=59))
    assert len(delivery.server.received) == 1  # the retry waits its minute
    delivery.dispatch(after=timedelta(seconds=1))
    first, second = delivery.server.message_ids()
    assert first == second
    message = delivery.message(delivery.only_message_id())
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_a_permanent_refusal_is_dead_at_once(delivery: Delivery) -> None:
    delivery.server.answer("550 5.1.1 No such user here")
    delivery.publish()
    delivery.dispatch()
    message = delivery.message(delivery.only_message_id())
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 1)
    assert message.last_error is not None and "550" in message.last_error
    assert message.dead_at == delivery.clock.now()
    assert delivery.container.adapters.outbox_gateway().dead_messages(10) == [message]
    delivery.dispatch(after=timedelta(days=1))
    assert len(delivery.server.received) == 1


def test_the_last_of_n_transient_refusals_makes_it_dead(delivery: Delivery) -> None:
    delivery.server.answer(*["421 4.3.2 Service shutting down"] * MAX_ATTEMPTS)
    delivery.publish()
    for _ in range(MAX_ATTEMPTS):
        delivery.dispatch(after=timedelta(hours=1))
    assert len(set(delivery.server.message_ids())) == 1
    message = delivery.message(delivery.only_message_id())
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, MAX_ATTEMPTS)
    delivery.dispatch(after=timedelta(days=1))
    assert len(delivery.server.received) == MAX_ATTEMPTS
