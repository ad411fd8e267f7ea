"""The service operators' page: the operations view across organizations.

Only users named in ``MANYFUTURES_OPERATOR_USERS`` (``operator_required``; the use
case checks it again before reading anything). In PostgreSQL it reads through
migration 0020's ``console_*`` functions only (ADR 0007, ADR 0025).
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint
from flask.typing import ResponseReturnValue

from manyfutures.container import Container
from manyfutures.core.operations.use_cases import GetOperationsAcrossOrganizations
from manyfutures.entrypoints.console.guard import current_console_user, operator_required
from manyfutures.entrypoints.console.operations_page import operations_page

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
    return operations_page(
        view,
        across=True,
        title="Operations, every organization",
        endpoint="console.operator.operations",
    )
