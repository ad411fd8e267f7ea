"""Today's budget over HTTP, and the 429 a spending request gets while the breaker is open."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers

from manyfutures.container import Container
from manyfutures.core.generation.use_cases import (
    GenerationFailed,
    GenerationSucceeded,
    ModelUsage,
)
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import Api, assert_problem
from tests.unit.http.test_episodes import generate, start_generation

NEXT_MIDNIGHT = "2026-01-06T00:00:00+00:00"  # T0 is 2026-01-05 08:00 UTC


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


def test_a_member_reads_todays_budget(
    api: Api, member: Api, container: Container, generator: RecordingGenerator
) -> None:
    response = member.get("/v1/usage/today")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "day": "2026-01-05",
        "state": "closed",
        "spentGbp": "0.00",
        "reservedGbp": "0.00",
        "limitGbp": "50.00",
        "resetsAt": NEXT_MIDNIGHT,
    }
    generate(api)
    start_generation(container, generator)
    today = member.get("/v1/usage/today").get_json()
    assert (today["spentGbp"], today["reservedGbp"]) == ("0.00", "1.50")


def test_another_organizations_spend_is_not_shown(
    api: Api, other_org: Api, container: Container, generator: RecordingGenerator
) -> None:
    generate(api)
    start_generation(container, generator)
    assert other_org.get("/v1/usage/today").get_json()["reservedGbp"] == "0.00"


def test_generate_now_and_retry_are_429_while_the_breaker_is_open(
    api: Api, container: Container, generator: RecordingGenerator, clock: ManualClock
) -> None:
    project_id, episode_id = generate(api)
    run_id = start_generation(container, generator)
    container.generation.apply_generation_result()(
        GenerationFailed("org_a", run_id, "QA refused", retryable=False)
    )
    assert api.patch("/v1/organization", json={"dailyCostLimitGbp": "1.00"}).status_code == 200
    # A second project's slot asks the gate, which refuses: the breaker opens for the day.
    _, _ = generate(api)
    start_generation(container, generator)
    assert api.get("/v1/usage/today").get_json()["state"] == "open"

    clock.advance(timedelta(hours=1))  # 09:00 UTC: 15 hours to midnight
    for path in (f"/v1/projects/{project_id}/episodes", f"/v1/episodes/{episode_id}/retry"):
        response = api.post(path)
        body = assert_problem(response, 429, "daily-cost-limit-reached")
        assert body["resetsAt"] == NEXT_MIDNIGHT
        assert response.headers["Retry-After"] == str(15 * 3600)
    # Nothing was queued or reset by the refused requests.
    assert api.get(f"/v1/episodes/{episode_id}/status").get_json()["status"] == "FAILED"

    # Raising the limit above the one the breaker opened at lets spending requests through.
    assert api.patch("/v1/organization", json={"dailyCostLimitGbp": "20.00"}).status_code == 200
    assert api.get("/v1/usage/today").get_json()["state"] == "closed"
    assert api.post(f"/v1/episodes/{episode_id}/retry").status_code == 202


def test_spend_that_reaches_the_limit_shows_as_open(
    api: Api, container: Container, generator: RecordingGenerator
) -> None:
    generate(api)
    run_id = start_generation(container, generator)
    assert api.patch("/v1/organization", json={"dailyCostLimitGbp": "2.00"}).status_code == 200
    container.generation.apply_generation_result()(
        GenerationSucceeded(
            organization_id="org_a",
            run_id=run_id,
            title="T",
            summary="S",
            content="# T\n\nbody",
            usage=(ModelUsage("gpt-4o", 1, 1, Decimal("2.00")),),
        )
    )
    today = api.get("/v1/usage/today").get_json()
    assert (today["state"], today["spentGbp"], today["reservedGbp"]) == ("open", "2.00", "0.00")
