"""Every metric the services export, and the one switch that lets a process record them.

Multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``) writes one file per metric type per
process, and ``/metrics`` on the API sums the directory (ADR 0021). Files are named by
a slot the process holds while it lives (adapters/metrics/slots.py), not by its pid, so
a restarted process takes over its predecessor's files instead of adding its own. A
process that forked per job would add files on every job, so recording is off until a
long-lived process calls ``enable_metrics()`` (a gunicorn worker once it has forked, the RQ worker,
the scheduler, ``manyfutures run``), and stays off in any process forked from it: a
work horse of a forking RQ worker class has another process id and records nothing.

Labels hold closed sets only (route templates, statuses, outcomes), never an
organization, project or episode id.
"""

from __future__ import annotations

import os
from datetime import timedelta

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    values,
)

from manyfutures.adapters.metrics.slots import claim_slot
from manyfutures.core.shared.telemetry import AttemptOutcome

# Seconds; the latency buckets of an API that mostly answers in milliseconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CLAIM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CLAIMED_BUCKETS = (0, 1, 5, 10, 25, 50, 100, 250, 500, 1000)
# From a slot falling due to its episode published: a run takes minutes, retries hours.
PUBLISHED_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200)


class Metrics:
    """The metric families, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        # Gauges counted across organizations by the scheduler's metrics beat; the most
        # recent value of any process wins, so a second scheduler overwrites, never adds.
        self.queue_items = Gauge(
            "manyfutures_queue_items",
            "Schedule queue items by status",
            ["status"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.outbox_backlog = Gauge(
            "manyfutures_outbox_backlog",
            "Outbox messages not yet sent and not dead",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.outbox_dead = Gauge(
            "manyfutures_outbox_dead_messages",
            "Outbox messages that will never be delivered",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.breakers_open = Gauge(
            "manyfutures_organizations_breaker_open",
            "Organizations whose daily cost breaker is open today (UTC)",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.gauges_read_at = Gauge(
            "manyfutures_gauges_read_timestamp_seconds",
            "When the scheduler last read the cross-organization gauges",
            registry=registry,
            multiprocess_mode="max",
        )
        self.claimed_per_tick = Histogram(
            "manyfutures_scheduler_claimed_per_tick",
            "Queue items claimed (and dispatched) by one scheduler tick",
            registry=registry,
            buckets=CLAIMED_BUCKETS,
        )
        self.claim_seconds = Histogram(
            "manyfutures_scheduler_claim_seconds",
            "Duration of one claim of a batch of due items",
            registry=registry,
            buckets=CLAIM_BUCKETS,
        )
        self.attempts = Counter(
            "manyfutures_generation_attempts",
            "Generation attempts by how they ended",
            ["outcome"],
            registry=registry,
        )
        self.due_to_published = Histogram(
            "manyfutures_due_to_published_seconds",
            "From a slot falling due to its episode published",
            registry=registry,
            buckets=PUBLISHED_BUCKETS,
        )
        self.callbacks = Counter(
            "manyfutures_callbacks",
            "n8n callbacks by type and outcome (accepted, duplicate, stale, refused)",
            ["type", "outcome"],
            registry=registry,
        )
        self.deliveries = Counter(
            "manyfutures_outbox_deliveries",
            "Outbox delivery attempts by result (sent, retrying, dead)",
            ["result"],
            registry=registry,
        )
        self.reservations = Counter(
            "manyfutures_reservations",
            "Cost-gate reservations for generation runs, granted or refused",
            ["result"],
            registry=registry,
        )
        self.http_requests = Histogram(
            "manyfutures_http_request_duration_seconds",
            "HTTP requests by route template, method and status, with their duration",
            ["route", "method", "status"],
            registry=registry,
            buckets=HTTP_BUCKETS,
        )


_enabled: tuple[int, Metrics] | None = None
_slot_taken_by: int | None = None  # the process that named its files by a slot


def enable_metrics(registry: CollectorRegistry = REGISTRY) -> Metrics:
    """Record metrics in this process (and no process forked from it); once per registry."""
    global _enabled, _slot_taken_by
    # The ``_created`` series (multiprocess mode has none): one scrape looks the same
    # in either mode.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    if _enabled is not None and _enabled[0] == os.getpid() and _enabled[1].registry is registry:
        return _enabled[1]
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and _slot_taken_by != os.getpid():
        # Before this process's metrics exist: every value it records goes to its slot's files.
        values.ValueClass = values.MultiProcessValue(  # type: ignore[no-untyped-call]
            process_identifier=claim_slot(directory)
        )
        _slot_taken_by = os.getpid()
    metrics = Metrics(registry)
    _enabled = (os.getpid(), metrics)
    return metrics


def disable_metrics() -> None:
    global _enabled
    _enabled = None


def current_metrics() -> Metrics | None:
    """This process's metrics, or None where recording is off (never enabled, or forked)."""
    if _enabled is not None and _enabled[0] == os.getpid():
        return _enabled[1]
    return None


class PrometheusTelemetry:
    """The core's ``Telemetry`` port, onto this process's metrics when they are on."""

    def attempt_ended(self, outcome: AttemptOutcome) -> None:
        if (metrics := current_metrics()) is not None:
            metrics.attempts.labels(outcome.value).inc()

    def published(self, since_due: timedelta) -> None:
        if (metrics := current_metrics()) is not None:
            metrics.due_to_published.observe(max(since_due.total_seconds(), 0.0))

    def reservation(self, granted: bool) -> None:
        if (metrics := current_metrics()) is not None:
            metrics.reservations.labels("granted" if granted else "refused").inc()
