"""The operations view for an organization's admins, and across organizations for the
service's operators (``MANYFUTURES_OPERATOR_USERS``)."""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.operations.model import FINISHED_WINDOW, MAX_LISTED, OperationsView
from manyfutures.core.operations.ports import OperationsStore, OperatorGateway
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.core.shared.ports import Clock
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class OperationsQuery:
    actor: Actor


class GetOperations(UseCase[OperationsStore]):
    """The admin's view of their own organization, read in its unit of work."""

    def __call__(self, query: OperationsQuery) -> OperationsView:
        query.actor.require_admin()
        now = self._clock.now()
        with self._uow(query.actor.organization_id) as uow:
            snapshot = uow.operations.snapshot(now - FINISHED_WINDOW, MAX_LISTED)
        return OperationsView(now, snapshot)


class Operators:
    """Who may see every organization: the user ids the operator configured, nobody by
    default. Membership or role in any organization grants nothing here."""

    def __init__(self, user_ids: frozenset[str]) -> None:
        self._user_ids = user_ids

    def includes(self, user_id: str) -> bool:
        return user_id in self._user_ids

    def require(self, user_id: str) -> None:
        if not self.includes(user_id):
            raise PermissionDeniedError("only the service's operators may see every organization")


class GetOperationsAcrossOrganizations:
    """The operator's view: the same pieces, every organization's, through the gateway."""

    def __init__(self, gateway: OperatorGateway, operators: Operators, clock: Clock) -> None:
        self._gateway = gateway
        self._operators = operators
        self._clock = clock

    def __call__(self, user_id: str) -> OperationsView:
        self._operators.require(user_id)
        now = self._clock.now()
        return OperationsView(now, self._gateway.snapshot(now - FINISHED_WINDOW, MAX_LISTED))
