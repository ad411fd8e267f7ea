"""One-click unsubscribe end to end, in both storages: the episode email reaches a real SMTP
server (aiosmtpd) with RFC 8058's headers, the link they carry is POSTed with nobody
signed in, and the reader's next episode brings an in-app notification but no email."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import GenerationSucceeded
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.entrypoints.http.app import create_app
from tests.integration.outbox.conftest import API_URL, Delivery
from tests.support import builders as b
from tests.support.builders import T0


def seed_second_running_episode(delivery: Delivery) -> None:
    with delivery.container.adapters.uow_factory()("org_a") as uow:
        uow.episodes.add(b.episode("ep_2", status=EpisodeStatus.GENERATING))
        uow.queue.add(
            b.queue_item(
                "queue_2",
                episode_id="ep_2",
                status=QueueStatus.PROCESSING,
                attempt_count=1,
                slot=T0 + timedelta(days=7),
                lease_expires_at=T0 + timedelta(minutes=15),
            )
        )
        uow.runs.add(b.generation_run("run_2", "ep_2", "queue_2"))
        uow.commit()


def test_an_unsubscribed_reader_gets_no_further_email_of_that_kind(delivery: Delivery) -> None:
    delivery.publish()
    delivery.dispatch()
    (mail,) = delivery.server.received
    assert mail.list_unsubscribe_post == "List-Unsubscribe=One-Click"
    assert mail.list_unsubscribe is not None
    link = mail.list_unsubscribe.removeprefix("<").removesuffix(">")
    assert mail.list_unsubscribe == f"<{link}>"
    assert link.startswith(f"{API_URL}/unsubscribe/")
    # What was sent is what the outbox row holds, written with the publication.
    assert delivery.message(delivery.only_message_id()).list_unsubscribe == link
    assert f"Stop these emails: {link}" in mail.text

    client = create_app(delivery.container).test_client()
    path = link.removeprefix(API_URL)
    assert client.get(path).get_json()["unsubscribed"] is False
    response = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    seed_second_running_episode(delivery)
    delivery.container.generation.apply_generation_result()(
        GenerationSucceeded("org_a", "run_2", "Grid week 2", "Storage is cheaper", "# Grid\n")
    )
    delivery.dispatch(after=timedelta(minutes=1))
    assert len(delivery.server.received) == 1
    with delivery.container.adapters.uow_factory()("org_a") as uow:
        titles = [n.title for n in uow.notifications.list_for_user("user_1")]
    assert titles == ["New episode: Grid week 2", "New episode: Grid week"]
