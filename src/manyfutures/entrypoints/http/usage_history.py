"""The organization's AI spend day by day, for every member: ``GET /v1/usage``."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.costs.usage_history import ListDailyUsage, UsageHistoryQuery
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import query_args
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import UsageHistorySchema, UsageQuerySchema

blueprint = Blueprint("usage_history", __name__)
TAG = "Usage"


@blueprint.get("/usage")
@operation(
    TAG,
    "Spend per UTC day from `from` to `to` (at most 92 days): cost, tokens, episodes, "
    "per operation, the busiest hour",
    query=UsageQuerySchema,
    responses={200: UsageHistorySchema},
)
@inject
def list_daily_usage(
    use_case: ListDailyUsage = Provide[Container.costs.list_daily_usage],
) -> Response:
    query = query_args(UsageQuerySchema)
    days = use_case(UsageHistoryQuery(current_actor(), query["first"], query["last"]))
    return json_response(
        UsageHistorySchema, {"first": query["first"], "last": query["last"], "days": days}
    )
