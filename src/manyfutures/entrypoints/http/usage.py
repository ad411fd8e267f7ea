"""The organization's AI spend: today's budget, for every member."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.generation.daily_budget import GetUsageToday
from manyfutures.core.identity.use_cases import ActorQuery
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import UsageTodaySchema

blueprint = Blueprint("usage", __name__)
TAG = "Usage"


@blueprint.get("/usage/today")
@operation(
    TAG,
    "Today's (UTC) spend, reservations, limit, breaker state and when the day resets",
    responses={200: UsageTodaySchema},
    errors=(404,),
)
@inject
def get_usage_today(
    use_case: GetUsageToday = Provide[Container.generation.get_usage_today],
) -> Response:
    response = json_response(UsageTodaySchema, use_case(ActorQuery(current_actor())))
    response.headers["Cache-Control"] = "no-store"
    return response
