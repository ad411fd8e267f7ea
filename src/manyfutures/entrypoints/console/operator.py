"""The service operators' page: the operations view across organizations.

Only users named in ``MANYFUTURES_OPERATOR_USERS`` (``operator_required``; the use
case checks it again before reading anything). In PostgreSQL it reads through
migration 0020's ``console_*`` functions only (ADR 0007, ADR 0025).
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from manyfutures.container import Container
from manyfutures.core.operations.model import format_age
from manyfutures.core.operations.use_cases import GetOperationsAcrossOrganizations
from manyfutures.entrypoints.console.guard import current_console_user, operator_required

blueprint = Blueprint("operator", __name__, url_prefix="/operator")


@blueprint.get("/operations")
@operator_required
@inject
def operations(
    use_case: GetOperationsAcrossOrganizations = Provide[
        Container.operations.get_operations_across_organizations
    ],
) -> ResponseReturnValue:
    view = use_case(current_console_user().user_id)
    template = (
        "console/operator/_operations_panels.html"
        if request.headers.get("HX-Request") == "true"
        else "console/operator/operations.html"
    )
    return render_template(template, view=view, age=lambda t: format_age(view.age(t)))
