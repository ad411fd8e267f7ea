"""Events recorded by the server as readers act, and the admins' metrics derived from them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from manyfutures.container import Container
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.generation.use_cases import GenerationSucceeded, ModelUsage
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem, create_project
from tests.unit.http.test_episodes import generate, generator, start_generation

__all__ = ["generator"]
METRICS = "/v1/metrics/engagement"


def events_of(container: Container, event_type: str) -> list[tuple[str | None, dict[str, object]]]:
    with container.adapters.uow_factory()("org_a") as uow:
        return [(e.user_id, e.event_data) for e in uow.events.list(event_type)]


def publish(container: Container, generator: RecordingGenerator) -> None:
    run_id = start_generation(container, generator)
    container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id="org_a",
            run_id=run_id,
            title="Grid batteries",
            summary="Storage is scaling",
            content="Grid storage is scaling",
            usage=(ModelUsage("gpt-4o", 10, 5, Decimal("0.01")),),
        )
    )


def feedback(container: Container, rating: int) -> None:
    """What episode feedback records (built beside this): ``feedback_submitted`` with
    ``rating``, the one property the metrics read."""
    with container.adapters.uow_factory()("org_a") as uow:
        record = Recorder(uow, container.adapters.ids(), "user_m", container.adapters.clock().now())
        record.event("feedback_submitted", {"projectId": "proj_x", "rating": rating})
        uow.commit()


def test_opening_a_published_episode_is_recorded_and_the_first_open_once_per_reader(
    api: Api, member: Api, container: Container, generator: RecordingGenerator
) -> None:
    project_id, episode_id = generate(api)
    assert api.get(f"/v1/episodes/{episode_id}").status_code == 200  # a draft: not read yet
    assert events_of(container, "episode_opened") == []
    publish(container, generator)

    for reader in (api, api, member):
        assert reader.get(f"/v1/episodes/{episode_id}").status_code == 200
    opened = {"episodeId": episode_id, "projectId": project_id}
    assert events_of(container, "episode_opened") == [
        ("user_a", opened),
        ("user_a", opened),
        ("user_m", opened),
    ]
    assert events_of(container, "first_episode_opened") == [
        ("user_a", opened),
        ("user_m", opened),
    ]
    assert api.get(f"/v1/episodes/{episode_id}/status").status_code == 200  # polling: no open
    assert len(events_of(container, "episode_opened")) == 3


def test_the_metrics_match_the_events_counted_by_hand(
    api: Api,
    member: Api,
    container: Container,
    generator: RecordingGenerator,
    clock: ManualClock,
) -> None:
    project_id, episode_id = generate(api)  # project_created: not activity by itself
    notes = f"/v1/projects/{project_id}/planning-notes"
    assert api.post(notes, json={"note": "More on policy"}).status_code == 201
    publish(container, generator)  # published at 08:00, the note incorporated
    assert member.post(notes, json={"note": "Less jargon"}).status_code == 201
    clock.advance(timedelta(minutes=10))
    api.get(f"/v1/episodes/{episode_id}")  # first open: 600 s after publishing
    clock.advance(timedelta(minutes=5))
    api.get(f"/v1/episodes/{episode_id}")
    member.get(f"/v1/episodes/{episode_id}")
    feedback(container, 4)
    feedback(container, 2)
    create_project(api, title="Quiet")  # active only if something happens to it

    response = api.get(f"{METRICS}?from=2026-01-05&to=2026-01-05")
    assert response.status_code == 200
    assert response.get_json() == {
        "from": "2026-01-05",
        "to": "2026-01-05",
        "activeProjects": 2,  # the episode's project, and proj_x the feedback names
        "episodesPublished": 1,
        "episodesOpened": 1,
        "opens": 3,
        "newReaders": 2,
        "medianSecondsToFirstOpen": 600.0,
        "planningNotesSubmitted": 2,
        "planningNotesIncorporated": 1,
        "feedbackCount": 2,
        "averageFeedbackRating": 3.0,
    }
    earlier = api.get(f"{METRICS}?from=2026-01-01&to=2026-01-04").get_json()
    assert (earlier["opens"], earlier["averageFeedbackRating"]) == (0, None)


def test_metrics_are_for_admins_and_refuse_bad_ranges(api: Api, member: Api) -> None:
    assert_problem(member.get(f"{METRICS}?from=2026-01-05&to=2026-01-05"), 403, "forbidden")
    for query, field in (
        ("from=2026-01-06&to=2026-01-05", "from"),
        ("from=2026-01-01&to=2026-04-03", "to"),  # 93 days: 92 is the most
        ("from=2026-01-05", "to"),
        ("to=2026-01-05", "from"),
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=yesterday&to=2026-01-05", "from"),
        ("from=2026-01-05&to=2026-01-05&limit=3", "limit"),
    ):
        problem = assert_problem(api.get(f"{METRICS}?{query}"), 422, "validation-error")
        assert field in problem["errors"], (query, problem)
    assert api.get(f"{METRICS}?from=2026-01-01&to=2026-04-02").status_code == 200


def test_clients_may_not_post_the_events_the_server_records(api: Api) -> None:
    for name in ("episode_opened", "first_episode_opened", "feedback_submitted"):
        problem = assert_problem(
            api.post("/v1/events", json={"eventType": name, "eventData": {"rating": 5}}),
            422,
            "validation-error",
        )
        assert "eventType" in problem["errors"]
    assert api.post("/v1/events", json={"eventType": "share_clicked"}).status_code == 201
