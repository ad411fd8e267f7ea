"""`make run`'s promise: the demo project's first episode gets published, via the queue,
and its reader is emailed through the outbox."""

from __future__ import annotations

import time

from manyfutures.container import build_container
from manyfutures.entrypoints.all_in_one import background_loops
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER, seed_demo
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings

DEV_HEADERS = {"X-Dev-User": DEMO_USER, "X-Dev-Org": DEMO_ORG}


def test_demo_episode_is_published_through_the_queue_and_emailed_through_the_outbox() -> None:
    settings = Settings(tick_seconds=0.05, simulated_stage_seconds=0.01, outbox_poll_seconds=0.05)
    container = build_container(settings)
    client = create_app(container).test_client()
    project = seed_demo(container)
    email = container.adapters.email_sender()
    loops = background_loops(container)  # exactly what `manyfutures run` starts
    for loop in loops:
        loop.start()
    try:
        deadline = time.monotonic() + 10
        published: list[dict[str, object]] = []
        while not (published and email.sent) and time.monotonic() < deadline:
            response = client.get(f"/v1/projects/{project.id}/episodes", headers=DEV_HEADERS)
            assert response.status_code == 200
            published = [e for e in response.json["items"] if e["status"] == "PUBLISHED"]
            time.sleep(0.05)
    finally:
        for loop in loops:
            loop.stop()
        container.scheduling.dispatcher().shutdown()
    assert len(published) == 1
    episode = published[0]
    assert episode["generationAttempts"] == 1
    assert episode["readingMinutes"] == 1
    assert episode["stage"] == "review"
    with container.adapters.uow_factory()(DEMO_ORG) as uow:
        (item,) = [
            i for i in uow.queue.list_for_project(project.id) if i.episode_id == episode["id"]
        ]
        assert item.status.value == "completed"
        assert [e.event_type for e in uow.events.list("episode_published")] == ["episode_published"]
        (mail,) = email.sent
        message = uow.outbox.get(mail.message_id)
        assert message is not None
        assert (message.status.value, mail.to) == ("sent", "demo@example.org")
        assert f"/episodes/{episode['id']}" in mail.text


def test_the_api_refuses_requests_without_dev_headers() -> None:
    client = create_app(build_container(Settings())).test_client()
    response = client.get("/v1/projects")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "/problems/unauthenticated"
    assert client.get("/healthz").json == {"status": "ok"}


def test_seeding_the_demo_twice_keeps_one_project() -> None:
    container = build_container(Settings())
    first = seed_demo(container)
    assert seed_demo(container).id == first.id
    with container.adapters.uow_factory()(DEMO_ORG) as uow:
        assert [p.id for p in uow.projects.list(limit=10)] == [first.id]
