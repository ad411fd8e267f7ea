"""Who is calling: ``GET /v1/me``."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.identity.use_cases import ActorQuery, GetMe
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import MeSchema

blueprint = Blueprint("me", __name__)


@blueprint.get("/me")
@operation(
    "Me", "The caller: user, organization, role and enabled features", responses={200: MeSchema}
)
@inject
def get_me(use_case: GetMe = Provide[Container.identity.get_me]) -> Response:
    return json_response(MeSchema, use_case(ActorQuery(current_actor())))
