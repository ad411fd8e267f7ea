"""The n8n generator against a real HTTP server standing in for n8n's webhook."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from manyfutures.adapters.n8n.generator import N8nGenerator
from manyfutures.adapters.n8n.payload import callback_url
from manyfutures.core.generation.ports import (
    FeedbackForWriter,
    GenerationRequest,
    GeneratorUnavailableError,
    MemoryForWriter,
    NoteForWriter,
    RecentEpisode,
)
from manyfutures.core.projects.cadence import Cadence
from tests.support.n8n_standin import N8nStandIn

HEADER, SECRET = "X-Webhook-Key", "header-auth-value"
CALLBACK = callback_url("https://api.example.com/")


def request(**overrides: object) -> GenerationRequest:
    fields: dict[str, object] = {
        "run_id": "run_01",
        "episode_id": "ep_01",
        "project_id": "proj_01",
        "organization_id": "org_01",
        "attempt": 2,
        "title": "Grid storage",
        "brief": "Batteries, policy and prices",
        "cadence": Cadence.create("weekly", [1], "09:00", "Europe/London"),
        "planning_notes": (NoteForWriter("note_01", "More on regulation please"),),
        "memories": (MemoryForWriter("Prefers numbers", "preference", 0.8),),
        "recent_episodes": (RecentEpisode("Last week", "What moved"),),
        "recent_feedback": (
            FeedbackForWriter("ep_00", 2, "Too much jargon", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ),
        "max_cost_gbp": Decimal("1.50"),
        "callback_token": "tok-secret",
    }
    return GenerationRequest(**{**fields, **overrides})  # type: ignore[arg-type]


def generator(url: str, read_timeout: float = 5.0) -> N8nGenerator:
    return N8nGenerator(
        url, HEADER, SECRET, CALLBACK, connect_timeout=2.0, read_timeout=read_timeout
    )


@pytest.fixture
def n8n() -> Iterator[N8nStandIn]:
    with N8nStandIn() as stand_in:
        yield stand_in


def test_a_2xx_answer_is_accepted_and_the_body_is_the_contract(n8n: N8nStandIn) -> None:
    generator(n8n.url).start(request())
    (job,) = n8n.jobs
    assert job.headers[HEADER] == SECRET
    assert job.headers["Content-Type"] == "application/json"
    assert job.body == {
        "runId": "run_01",
        "episodeId": "ep_01",
        "projectId": "proj_01",
        "organizationId": "org_01",
        "attempt": 2,
        "project": {
            "title": "Grid storage",
            "brief": "Batteries, policy and prices",
            "cadence": {"mode": "weekly", "days": [1]},
            "timezone": "Europe/London",
        },
        "planningNotes": [{"id": "note_01", "note": "More on regulation please"}],
        "memories": [{"content": "Prefers numbers", "type": "preference", "importance": 0.8}],
        "recentEpisodes": [{"title": "Last week", "summary": "What moved"}],
        "recentFeedback": [
            {
                "episodeId": "ep_00",
                "rating": 2,
                "comment": "Too much jargon",
                "submittedAt": "2026-01-05T09:00:00+00:00",
            }
        ],
        "maxCostGbp": "1.50",
        "callback": {"url": "https://api.example.com/webhooks/n8n/episodes", "token": "tok-secret"},
    }


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_every_2xx_is_accepted(n8n: N8nStandIn, status: int) -> None:
    n8n.status = status
    generator(n8n.url).start(request())
    assert len(n8n.jobs) == 1


@pytest.mark.parametrize("status", [301, 401, 404, 500, 503])
def test_any_other_answer_is_a_failed_attempt_that_names_the_status(
    n8n: N8nStandIn, status: int
) -> None:
    n8n.status = status
    with pytest.raises(GeneratorUnavailableError, match=f"n8n webhook answered {status}"):
        generator(n8n.url).start(request())


def test_no_answer_within_the_read_timeout_is_a_failed_attempt(n8n: N8nStandIn) -> None:
    n8n.hold_answers()
    with pytest.raises(GeneratorUnavailableError, match="timed out waiting for an answer"):
        generator(n8n.url, read_timeout=0.2).start(request())
    assert len(n8n.jobs) == 1  # n8n may well have the job: hence usage from late runs counts


def test_a_refused_connection_is_a_failed_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GeneratorUnavailableError, match="n8n webhook unreachable"):
        generator(f"http://127.0.0.1:{port}/webhook/x").start(request())


def test_errors_never_carry_the_header_value_or_the_token(n8n: N8nStandIn) -> None:
    n8n.status = 500
    with pytest.raises(GeneratorUnavailableError) as failed:
        generator(n8n.url).start(request())
    assert SECRET not in str(failed.value)
    assert "tok-secret" not in str(failed.value)


def test_one_connection_is_kept_alive_across_jobs(n8n: N8nStandIn) -> None:
    client = generator(n8n.url)
    for attempt in (1, 2, 3):
        client.start(request(attempt=attempt))
    assert [job.body["attempt"] for job in n8n.jobs] == [1, 2, 3]
    assert len({job.client for job in n8n.jobs}) == 1
    client.close()
