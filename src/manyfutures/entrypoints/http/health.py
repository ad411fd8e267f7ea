"""Liveness and readiness for load balancers.

``/healthz`` answers whenever the process serves requests; ``/readyz`` also checks
that every configured dependency (database, Redis) answers, so a balancer stops
routing to a process that would only fail.
"""

from __future__ import annotations

import logging
from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures import TZDATA_VERSION
from manyfutures.adapters.readiness import ReadinessProbe
from manyfutures.container import Container
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.problems import problem
from manyfutures.entrypoints.http.schemas import HealthSchema, ReadinessSchema

logger = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@operation("Health", "The process is up", responses={200: HealthSchema}, public=True)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@blueprint.get("/readyz")
@operation(
    "Health",
    "Every configured dependency (database, Redis) answers",
    responses={200: ReadinessSchema, 503: None},
    public=True,
)
@inject
def readyz(
    probes: list[ReadinessProbe] = Provide[Container.http.readiness_probes],
) -> Response | dict[str, Any]:
    checks: dict[str, str] = {}
    for probe in probes:
        try:
            probe.check()
            checks[probe.name] = "ok"
        except Exception as error:
            logger.warning("readiness probe %s failed: %s", probe.name, error)
            checks[probe.name] = f"unavailable: {type(error).__name__}"
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if not failing:
        return {"status": "ready", "checks": checks, "tzdataVersion": TZDATA_VERSION}
    return problem(
        503,
        "not-ready",
        "Not ready",
        f"unreachable: {', '.join(failing)}",
        checks=checks,
        tzdataVersion=TZDATA_VERSION,
    )
