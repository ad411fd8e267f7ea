"""The operations view's use cases: an organization's, and every organization's for the
operators named in ``MANYFUTURES_OPERATOR_USERS``."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.operations.model import parse_operators
from manyfutures.core.operations.usage import GetUsageOverview
from manyfutures.core.operations.use_cases import (
    GetOperations,
    GetOperationsAcrossOrganizations,
    Operators,
)


class OperationsContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    operators = providers.Singleton(
        Operators, providers.Callable(parse_operators, config.operator_users)
    )
    get_operations = use_case(GetOperations, adapters)
    get_usage_overview = use_case(GetUsageOverview, adapters)
    get_operations_across_organizations = providers.Singleton(
        GetOperationsAcrossOrganizations, adapters.operator_gateway, operators, adapters.clock
    )
