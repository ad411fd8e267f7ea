"""The caller's organization and its audit log: admins only (members get 403)."""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.activity.use_cases import ListAuditLog, ListAuditLogQuery
from manyfutures.core.identity.use_cases import (
    ActorQuery,
    GetOrganization,
    UpdateOrganization,
    UpdateOrganizationCommand,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body, query_args
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import (
    AuditLogEntrySchema,
    AuditLogPageSchema,
    AuditLogQuerySchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
    page,
)

blueprint = Blueprint("organization", __name__)
TAG = "Organization (admins)"


@blueprint.get("/organization")
@operation(
    TAG, "Read the organization's settings", responses={200: OrganizationSchema}, errors=(404,)
)
@inject
def get_organization(
    use_case: GetOrganization = Provide[Container.identity.get_organization],
) -> Response:
    return json_response(OrganizationSchema, use_case(ActorQuery(current_actor())))


@blueprint.patch("/organization")
@operation(
    TAG,
    "Change the daily cost limit and enabled/experimental features",
    body=OrganizationUpdateSchema,
    responses={200: OrganizationSchema},
    errors=(404,),
)
@inject
def update_organization(
    use_case: UpdateOrganization = Provide[Container.identity.update_organization],
) -> Response:
    body = json_body(OrganizationUpdateSchema)
    features = {
        name: tuple(body[name])
        for name in ("enabled_features", "experimental_features")
        if name in body
    }
    organization = use_case(
        UpdateOrganizationCommand(
            current_actor(), daily_cost_limit_gbp=body.get("daily_cost_limit_gbp"), **features
        )
    )
    return json_response(OrganizationSchema, organization)


@blueprint.get("/audit-log")
@operation(
    TAG,
    "Audit log, newest first; filter by action, resource type, resource and date range",
    query=AuditLogQuerySchema,
    responses={200: AuditLogPageSchema},
)
@inject
def list_audit_log(
    use_case: ListAuditLog = Provide[Container.activity.list_audit_log],
) -> dict[str, Any]:
    query = query_args(AuditLogQuerySchema)
    rows = use_case(
        ListAuditLogQuery(
            current_actor(),
            action=query["action"],
            resource_id=query["resource_id"],
            resource_type=query["resource_type"],
            since=query["since"],
            until=query["until"],
            limit=query["limit"],
            after_id=query["cursor"],
        )
    )
    return page(list(rows), AuditLogEntrySchema, query["limit"])
