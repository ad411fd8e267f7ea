"""Engagement metrics for admins, derived from the server's events."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.activity.engagement import EngagementQuery, GetEngagementMetrics
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import query_args
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import EngagementMetricsSchema, EngagementQuerySchema

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics/engagement")
@operation(
    "Organization (admins)",
    "Engagement from `from` to `to` (UTC dates, at most 92 days), derived from events",
    query=EngagementQuerySchema,
    responses={200: EngagementMetricsSchema},
)
@inject
def get_engagement_metrics(
    use_case: GetEngagementMetrics = Provide[Container.activity.get_engagement_metrics],
) -> Response:
    query = query_args(EngagementQuerySchema)
    metrics = use_case(EngagementQuery(current_actor(), query["first"], query["last"]))
    return json_response(EngagementMetricsSchema, metrics)
