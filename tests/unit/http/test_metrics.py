"""Each metric family moves when its event happens, and only then (memory storage, the
real app and use cases through the container, metrics on a registry of the test's own)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from dependency_injector import providers
from flask import Flask
from prometheus_client import CollectorRegistry

from manyfutures.adapters.metrics.prometheus import (
    Metrics,
    disable_metrics,
    enable_metrics,
)
from manyfutures.container import Container
from manyfutures.core.generation.use_cases import StartGenerationCommand
from manyfutures.entrypoints.http.app import create_app
from tests.support.fakes import ManualClock, RecordingGenerator
from tests.unit.http.conftest import (
    TEST_SETTINGS,
    Api,
    build_test_container,
    create_project,
    seed_tenants,
)
from tests.unit.http.test_episodes import start_generation
from tests.unit.http.test_n8n_callbacks import callback, completed

TOKEN = "scrape-token-0123456789"
HTTP = "manyfutures_http_request_duration_seconds_count"


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    metrics = enable_metrics(CollectorRegistry())
    yield metrics
    disable_metrics()


@pytest.fixture
def container(clock: ManualClock) -> Iterator[Container]:
    container = build_test_container(replace(TEST_SETTINGS, metrics_token=TOKEN), clock)
    seed_tenants(container)
    yield container
    container.unwire()


@pytest.fixture
def app(container: Container, metrics: Metrics) -> Flask:
    return create_app(container)


@pytest.fixture
def generator(container: Container) -> RecordingGenerator:
    generator = RecordingGenerator()
    container.generation.generator.override(providers.Object(generator))
    return generator


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def request_episode(api: Api) -> str:
    project = create_project(api)
    episode: dict[str, str] = api.post(f"/v1/projects/{project['id']}/episodes").get_json()
    return episode["id"]


def test_http_requests_are_counted_by_route_template_method_and_status(
    api: Api, metrics: Metrics
) -> None:
    api.get("/v1/projects")
    api.get("/v1/projects")
    api.get("/v1/projects/proj_nope")
    api.get("/v1/projects/proj_other")
    api.get("/no/such/route/abc123")
    api.request("BREW", "/v1/projects")

    assert value(metrics, HTTP, route="/v1/projects", method="GET", status="200") == 2
    # The template, not the id: two unknown projects are one series.
    assert value(metrics, HTTP, route="/v1/projects/<project_id>", method="GET", status="404") == 2
    assert value(metrics, HTTP, route="unmatched", method="GET", status="404") == 1
    assert value(metrics, HTTP, route="unmatched", method="other", status="405") == 1
    samples = {
        sample.labels.get("route")
        for family in metrics.registry.collect()
        for sample in family.samples
    }
    assert not any("proj_" in str(route) or "abc123" in str(route) for route in samples)


def test_the_request_id_is_taken_when_sane_made_otherwise_and_echoed(api: Api) -> None:
    given = api.get("/healthz", headers={"X-Request-Id": "req-7f3a.01:b"})
    assert given.headers["X-Request-Id"] == "req-7f3a.01:b"
    made = api.get("/healthz")
    insane = api.get("/healthz", headers={"X-Request-Id": "x" * 129})
    spaced = api.get("/healthz", headers={"X-Request-Id": "two words"})
    ids = [
        made.headers["X-Request-Id"],
        insane.headers["X-Request-Id"],
        spaced.headers["X-Request-Id"],
    ]
    assert all(len(rid) == 32 for rid in ids)
    assert len(set(ids)) == 3


def test_metrics_need_the_token_and_show_every_family(api: Api, metrics: Metrics) -> None:
    assert api.client.get("/metrics").status_code == 401
    wrong = api.client.get("/metrics", headers={"Authorization": "Bearer " + "y" * 23})
    assert wrong.status_code == 401
    scrape = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scrape.status_code == 200
    assert scrape.mimetype == "text/plain"
    text = scrape.get_data(as_text=True)
    # Labelled counters appear with their first event (the movement tests below).
    for family in (
        "manyfutures_http_request_duration_seconds",
        "manyfutures_queue_items",
        "manyfutures_outbox_backlog",
        "manyfutures_outbox_dead_messages",
        "manyfutures_organizations_breaker_open",
        "manyfutures_scheduler_claimed_per_tick",
        "manyfutures_scheduler_claim_seconds",
        "manyfutures_due_to_published_seconds",
    ):
        assert f"# TYPE {family} " in text


def test_without_a_token_setting_there_is_no_metrics_route(clock: ManualClock) -> None:
    container = build_test_container(TEST_SETTINGS, clock)
    try:
        client = create_app(container).test_client()
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    finally:
        container.unwire()


def test_the_openapi_document_leaves_metrics_out(api: Api) -> None:
    assert "/metrics" not in api.client.get("/openapi.json").get_json()["paths"]


def test_a_published_attempt_its_wait_its_reservation_and_the_callbacks_are_counted(
    api: Api,
    container: Container,
    generator: RecordingGenerator,
    clock: ManualClock,
    metrics: Metrics,
) -> None:
    request_episode(api)
    claims_before = value(metrics, "manyfutures_scheduler_claim_seconds_count")
    run_id = start_generation(container, generator)
    assert value(metrics, "manyfutures_scheduler_claim_seconds_count") == claims_before + 1
    assert value(metrics, "manyfutures_reservations_total", result="granted") == 1
    token = generator.requests[-1].callback_token
    progress = {"runId": run_id, "type": "progress", "stage": "writing", "percent": 40}

    assert callback(api.client, progress, "wrong-token").status_code == 401
    assert callback(api.client, "{not json", token).status_code == 400
    callback(api.client, progress, token)
    callback(api.client, progress, token)  # the same again
    clock.advance(timedelta(seconds=90))
    assert callback(api.client, completed(run_id), token).get_json()["outcome"] == "published"
    callback(api.client, completed(run_id), token)  # a duplicated result
    callback(api.client, {**progress, "percent": 90}, token)  # progress after the end

    def calls(kind: str, outcome: str) -> float:
        return value(metrics, "manyfutures_callbacks_total", type=kind, outcome=outcome)

    assert calls("progress", "refused") == 1
    assert calls("unknown", "refused") == 1
    assert calls("progress", "accepted") == 1
    assert calls("progress", "duplicate") == 1
    assert calls("completed", "accepted") == 1
    assert calls("completed", "stale") == 1
    assert calls("progress", "stale") == 1
    assert value(metrics, "manyfutures_generation_attempts_total", outcome="published") == 1
    assert value(metrics, "manyfutures_due_to_published_seconds_count") == 1
    assert value(metrics, "manyfutures_due_to_published_seconds_sum") == 90
    assert value(metrics, "manyfutures_due_to_published_seconds_bucket", le="60.0") == 0
    assert value(metrics, "manyfutures_due_to_published_seconds_bucket", le="120.0") == 1

    # The reader's email about it goes out, and is counted as sent.
    container.outbox.dispatch_outbox()()
    assert value(metrics, "manyfutures_outbox_deliveries_total", result="sent") == 1


def test_a_refused_reservation_and_an_expired_deadline_are_counted(
    api: Api,
    container: Container,
    generator: RecordingGenerator,
    clock: ManualClock,
    metrics: Metrics,
) -> None:
    request_episode(api)
    start_generation(container, generator)
    clock.advance(timedelta(hours=1))  # past the generation deadline
    assert container.generation.recover_expired_leases()() == 1
    assert value(metrics, "manyfutures_generation_attempts_total", outcome="retry_scheduled") == 1

    api.patch("/v1/organization", json={"dailyCostLimitGbp": "1.00"})  # below one run's £1.50
    clock.advance(timedelta(hours=2))  # past the retry's backoff
    for item in container.scheduling.claim_due_items()(10):
        container.generation.start_generation()(
            StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
        )
    assert value(metrics, "manyfutures_reservations_total", result="refused") == 1
    assert value(metrics, "manyfutures_generation_attempts_total", outcome="refused_by_limit") == 1


def test_a_tick_reports_its_claims_and_the_gauges_count_across_organizations(
    api: Api, container: Container, generator: RecordingGenerator, metrics: Metrics
) -> None:
    request_episode(api)
    request_episode(api.as_("user_b", "org_b", "admin"))
    container.adapters.record_gauges()()
    assert value(metrics, "manyfutures_queue_items", status="pending") >= 2
    pending = value(metrics, "manyfutures_queue_items", status="pending")

    report = container.scheduling.scheduler_tick()()
    assert report.items_dispatched == 2
    assert value(metrics, "manyfutures_scheduler_claimed_per_tick_count") == 1
    assert value(metrics, "manyfutures_scheduler_claimed_per_tick_sum") == 2
    container.adapters.record_gauges()()
    assert value(metrics, "manyfutures_queue_items", status="pending") == pending - 2
    assert value(metrics, "manyfutures_organizations_breaker_open") == 0
    assert value(metrics, "manyfutures_gauges_read_timestamp_seconds") > 0


def test_a_process_that_did_not_enable_metrics_records_nothing(
    api: Api, container: Container, generator: RecordingGenerator, metrics: Metrics
) -> None:
    """As in a work horse forked from a worker: another process id, recording off."""
    disable_metrics()
    request_episode(api)
    start_generation(container, generator)
    assert container.adapters.record_gauges()().queue_items == {}
    assert value(metrics, "manyfutures_reservations_total", result="granted") == 0
    assert value(metrics, "manyfutures_scheduler_claim_seconds_count") == 0


def test_a_callback_that_fails_on_our_side_counts_as_an_error_not_a_refusal(
    api: Api, container: Container, metrics: Metrics
) -> None:
    def unreachable(callback: object) -> None:
        raise ConnectionError("database unreachable")

    container.generation.receive_generation_callback.override(providers.Object(unreachable))
    body = {"runId": "run_x", "type": "progress", "stage": "writing", "percent": 40}
    assert callback(api.client, body, "some-token").status_code == 500
    assert value(metrics, "manyfutures_callbacks_total", type="progress", outcome="error") == 1
    assert value(metrics, "manyfutures_callbacks_total", type="progress", outcome="refused") == 0
