"""The organization admins' pages: usage against the limit, settings, operations, audit log.

Admins of the signed-in organization only (``admin_required``; the use cases check it
again). Each view calls one use case, the API's own where there is one: settings are
``PATCH /v1/organization``'s ``UpdateOrganization`` behind the same schema, the audit
log is ``GET /v1/audit-log``'s ``ListAuditLog``, a retry is the reader's
``RetryEpisode``. Bad input is shown beside its field, never a 500.
"""

from __future__ import annotations

import re
from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from manyfutures.container import Container
from manyfutures.core.activity.resource_types import AUDITED_RESOURCE_TYPES
from manyfutures.core.activity.use_cases import ListAuditLog, ListAuditLogQuery
from manyfutures.core.generation.use_cases import EpisodeCommand, RetryEpisode
from manyfutures.core.identity.use_cases import (
    KNOWN_FEATURES,
    ActorQuery,
    GetOrganization,
    OrganizationSettings,
    UpdateOrganization,
    UpdateOrganizationCommand,
)
from manyfutures.core.operations.usage import GetUsageOverview
from manyfutures.core.operations.use_cases import GetOperations, OperationsQuery
from manyfutures.core.shared.errors import ValidationError
from manyfutures.entrypoints.console.forms import FieldErrors, FormInvalidError, form_errors, load
from manyfutures.entrypoints.console.guard import admin_required, current_console_user
from manyfutures.entrypoints.console.operations_page import operations_page
from manyfutures.entrypoints.console.redirects import go_to
from manyfutures.entrypoints.console.usage_chart import usage_chart
from manyfutures.entrypoints.http.schemas import AuditLogQuerySchema, OrganizationUpdateSchema

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SETTINGS_TEMPLATE = "console/admin/settings.html"


@blueprint.get("/usage")
@admin_required
@inject
def usage(
    use_case: GetUsageOverview = Provide[Container.operations.get_usage_overview],
) -> ResponseReturnValue:
    overview = use_case(current_console_user().actor)
    chart = usage_chart(overview.days, overview.today.limit_gbp)
    return render_template("console/admin/usage.html", usage=overview, chart=chart)


@blueprint.get("/settings")
@admin_required
@inject
def settings(
    use_case: GetOrganization = Provide[Container.identity.get_organization],
) -> ResponseReturnValue:
    current = use_case(ActorQuery(current_console_user().actor))
    return _settings_form(current, _values_of(current), {})


@blueprint.post("/settings")
@admin_required
@inject
def update_settings(
    use_case: UpdateOrganization = Provide[Container.identity.update_organization],
) -> ResponseReturnValue:
    actor = current_console_user().actor
    # A refused form is shown again as typed, without the plan (one unit of work a request).
    try:
        body = load(OrganizationUpdateSchema, _organization_body(request.form))
        use_case(
            UpdateOrganizationCommand(
                actor,
                daily_cost_limit_gbp=body.get("daily_cost_limit_gbp"),
                enabled_features=tuple(body.get("enabled_features", ())),
            )
        )
    except (FormInvalidError, ValidationError) as error:
        return _settings_form(None, request.form, form_errors(error), 422)
    flash("Organization settings saved.", "success")
    return go_to(url_for("console.admin.settings"))


@blueprint.get("/operations")
@admin_required
@inject
def operations(
    use_case: GetOperations = Provide[Container.operations.get_operations],
) -> ResponseReturnValue:
    view = use_case(OperationsQuery(current_console_user().actor))
    return operations_page(
        view, across=False, title="Operations", endpoint="console.admin.operations"
    )


@blueprint.post("/operations/episodes/<episode_id>/retry")
@admin_required
@inject
def retry_episode(
    episode_id: str, use_case: RetryEpisode = Provide[Container.generation.retry_episode]
) -> ResponseReturnValue:
    use_case(EpisodeCommand(current_console_user().actor, episode_id))
    flash(f"Episode {episode_id} queued again.", "success")
    return go_to(url_for("console.admin.operations"))


@blueprint.get("/audit-log")
@admin_required
@inject
def audit_log(
    use_case: ListAuditLog = Provide[Container.activity.list_audit_log],
) -> ResponseReturnValue:
    filters = request.args
    errors: FieldErrors = {}
    entries: list[Any] = []
    try:
        query = load(AuditLogQuerySchema, _audit_query(filters))
        entries = list(
            use_case(
                ListAuditLogQuery(
                    current_console_user().actor,
                    action=query["action"],
                    resource_id=query["resource_id"],
                    resource_type=query["resource_type"],
                    since=query["since"],
                    until=query["until"],
                    limit=query["limit"],
                    after_id=query["cursor"],
                )
            )
        )
    except (FormInvalidError, ValidationError) as error:
        errors = form_errors(error)
    next_url = None
    if len(entries) == AUDIT_PAGE_SIZE:
        next_args: dict[str, Any] = {k: v for k, v in filters.items() if v and k != "cursor"}
        next_url = url_for(".audit_log", **next_args, cursor=entries[-1].id)
    return (
        render_template(
            "console/admin/audit_log.html",
            entries=entries,
            filters=filters,
            errors=errors,
            resource_types=sorted(AUDITED_RESOURCE_TYPES),
            next_url=next_url,
        ),
        422 if errors else 200,
    )


def _settings_form(
    current: OrganizationSettings | None,
    values: MultiDict[str, str],
    errors: FieldErrors,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            SETTINGS_TEMPLATE,
            settings=current,
            values=values,
            errors=errors,
            features=sorted(KNOWN_FEATURES),
        ),
        status,
    )


def _values_of(current: OrganizationSettings) -> MultiDict[str, str]:
    organization = current.organization
    values = MultiDict([("dailyCostLimitGbp", f"{organization.daily_cost_limit_gbp:.2f}")])
    for feature in organization.enabled_features:
        values.add("enabledFeatures", feature)
    return values


def _organization_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The PATCH /v1/organization body the form stands for: the limit as typed, and the
    features ticked (none ticked switches every one off)."""
    return {
        "dailyCostLimitGbp": form.get("dailyCostLimitGbp", "").strip(),
        "enabledFeatures": form.getlist("enabledFeatures"),
    }


def _audit_query(filters: MultiDict[str, str]) -> dict[str, Any]:
    """The GET /v1/audit-log query the filter form stands for; a date picker's day is
    that day's 00:00 UTC (``from`` inclusive, ``to`` exclusive, as the API's)."""
    query: dict[str, Any] = {"limit": AUDIT_PAGE_SIZE}
    for name in ("action", "resourceType", "resourceId", "from", "to", "cursor"):
        value = filters.get(name, "").strip()
        if not value:
            continue
        query[name] = f"{value}T00:00:00+00:00" if _DATE_ONLY.fullmatch(value) else value
    return query
