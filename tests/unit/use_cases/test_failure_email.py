"""The generation-failed email: written exactly when an episode fails for good, in the
transaction that fails it, and never for an attempt that will be retried.

Every way an episode fails ends in ``fail_attempt``: n8n's failure callback (retryable
or not), a run past its deadline, a job lost on the final attempt. Each is driven here
through the real use cases over memory storage; the outbox is drained by the real
dispatcher into the console sender, which keeps what it was handed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    GenerationFailed,
    ResultOutcome,
)
from manyfutures.core.outbox.ports import EmailMessage
from manyfutures.core.shared.actor import Actor
from tests.support.wrapped import CommitFails
from tests.unit.use_cases.conftest import DEADLINE, START_LEASE, Harness
from tests.unit.use_cases.test_generation_pipeline import due_item, queue_item_for, start_now

APP = "http://127.0.0.1:8000"  # memory mode's MANYFUTURES_APP_URL
SUBJECT = "Your Many Futures episode could not be written: Energy"


def delivered(harness: Harness) -> list[EmailMessage]:
    """Everything the outbox holds, sent now; what the reader's inbox would get."""
    harness.dispatch_outbox()
    return list(harness.email.sent)


def retry_again(harness: Harness) -> str:
    """Past the backoff: the item is claimed again and a new run opened; its id."""
    harness.clock.advance(timedelta(minutes=5))
    assert harness.tick().items_dispatched == 1
    harness.run_dispatched()
    return harness.generator.requests[-1].run_id


def assert_one_failure_email(
    harness: Harness, actor: Actor, episode_id: str, attempts: int
) -> None:
    (mail,) = delivered(harness)
    assert (mail.to, mail.subject) == (f"{actor.user_id}@example.org", SUBJECT)
    link = f"{APP}/episodes/{episode_id}/retry"
    assert f"\n{link}\n" in mail.text
    assert f"We tried {attempts} time" in mail.text
    assert mail.html is not None and f'href="{link}"' in mail.html


def test_retried_attempts_email_nobody_and_the_last_one_emails_the_creator(
    harness: Harness, alice: Actor
) -> None:
    run_id = start_now(harness, alice)
    for attempt in (1, 2):
        outcome = harness.apply_result(GenerationFailed("org_a", run_id, f"boom {attempt}", True))
        assert outcome is ResultOutcome.RETRY_SCHEDULED
        assert delivered(harness) == []
        run_id = retry_again(harness)
    assert harness.apply_result(GenerationFailed("org_a", run_id, "boom 3", True)) is (
        ResultOutcome.FAILED
    )
    _, episode, _ = queue_item_for(harness, run_id)
    assert_one_failure_email(harness, alice, episode.id, attempts=3)
    (mail,) = harness.email.sent
    assert "boom 3" in mail.text
    # Later reports on the failed episode change nothing, and send nothing.
    late = harness.apply_result(GenerationFailed("org_a", run_id, "boom again", False))
    assert late is ResultOutcome.EPISODE_FINAL
    assert len(delivered(harness)) == 1


def test_a_failure_that_is_not_retryable_emails_at_once(harness: Harness, alice: Actor) -> None:
    run_id = start_now(harness, alice)
    harness.apply_result(
        GenerationFailed("org_a", run_id, "Brief breaks the content policy", False)
    )
    _, episode, _ = queue_item_for(harness, run_id)
    assert episode.status is EpisodeStatus.FAILED
    assert_one_failure_email(harness, alice, episode.id, attempts=1)


def test_a_generator_that_refuses_the_job_emails_only_on_the_final_attempt(
    harness: Harness, alice: Actor
) -> None:
    harness.generator.refuse_with = "n8n webhook answered 503"
    run_id = start_now(harness, alice)
    assert delivered(harness) == []
    retry_again(harness)
    assert delivered(harness) == []
    run_id = retry_again(harness)
    _, episode, _ = queue_item_for(harness, run_id)
    assert episode.status is EpisodeStatus.FAILED
    assert_one_failure_email(harness, alice, episode.id, attempts=3)


def test_the_final_run_past_its_deadline_emails_the_creator(harness: Harness, alice: Actor) -> None:
    run_id = start_now(harness, alice)
    for _ in range(2):
        harness.clock.advance(DEADLINE)
        assert harness.tick().items_failed == 1
        assert delivered(harness) == []
        retry_again(harness)
    harness.clock.advance(DEADLINE)
    assert harness.tick().items_failed == 1
    _, episode, _ = queue_item_for(harness, run_id)
    assert_one_failure_email(harness, alice, episode.id, attempts=3)
    assert "generation timed out" in harness.email.sent[0].text


def test_a_job_lost_on_the_final_attempt_emails_the_creator(harness: Harness, alice: Actor) -> None:
    item_id = due_item(harness, alice)
    for _ in range(3):
        assert harness.tick().items_dispatched == 1
        harness.dispatcher.dispatched.clear()  # nobody ever runs the job
        assert delivered(harness) == []
        harness.clock.advance(START_LEASE)
    assert harness.tick().items_failed == 1
    with harness.uow() as uow:
        item = uow.queue.get(item_id)
        assert item is not None
    assert_one_failure_email(harness, alice, item.episode_id, attempts=3)


def test_a_creator_without_an_address_gets_the_notification_only(
    harness: Harness, alice: Actor
) -> None:
    with harness.uow() as uow:
        user = uow.users.get(alice.user_id)
        assert user is not None
        user.email = ""
        uow.users.update(user)
        uow.commit()
    run_id = start_now(harness, alice)
    assert harness.apply_result(GenerationFailed("org_a", run_id, "bad", False)) is (
        ResultOutcome.FAILED
    )
    assert delivered(harness) == []
    with harness.uow() as uow:
        (notification,) = uow.notifications.list_for_user(alice.user_id)
    assert notification.kind == "episode_failed"


def test_the_email_is_written_in_the_transaction_that_fails_the_episode(
    harness: Harness, alice: Actor
) -> None:
    run_id = start_now(harness, alice)
    adapters = harness.container.adapters
    real = harness.uow_factory
    failing = ApplyGenerationResult(
        lambda org: CommitFails(real(org)),  # type: ignore[arg-type, return-value]
        harness.clock,
        adapters.ids(),
        adapters.retry_policy(),
        adapters.email_templates(),
    )
    with pytest.raises(ConnectionError):
        failing(GenerationFailed("org_a", run_id, "bad", False))
    assert delivered(harness) == []
    _, episode, _ = queue_item_for(harness, run_id)
    assert episode.status is EpisodeStatus.GENERATING
    # The same report, committed this time: the episode fails and the email goes, once.
    harness.apply_result(GenerationFailed("org_a", run_id, "bad", False))
    assert_one_failure_email(harness, alice, episode.id, attempts=1)
