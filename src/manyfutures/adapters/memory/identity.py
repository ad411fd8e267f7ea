"""Identity in memory: organizations, users (global, not tenant rows) and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.tables import DELETED, MemoryTable, TableView, Transaction
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.errors import DuplicateError


def _one_membership_per_user(uow: Transaction) -> None:
    """Postgres's unique (organization_id, user_id): a membership added here may meet one
    another unit of work committed since."""
    inserted = uow.inserted.get("memberships")
    if not inserted:
        return
    staged = uow.staged.get("memberships", {})
    members = {
        (m.organization_id, m.user_id)
        for row_id, m in uow.store.tables["memberships"].items()
        if staged.get(row_id) is not DELETED
    }
    for row_id in inserted:
        membership = staged.get(row_id, DELETED)
        if membership is not DELETED and (membership.organization_id, membership.user_id) in (
            members
        ):
            raise DuplicateError(f"user {membership.user_id} is already a member")


ORGANIZATIONS = MemoryTable("organizations", tenant_column="id")
USERS = MemoryTable("users", tenant_column=None)
MEMBERSHIPS = MemoryTable("memberships", check=_one_membership_per_user)


class OrganizationRepository:
    table: ClassVar[MemoryTable] = ORGANIZATIONS

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[Organization] = TableView(uow, self.table)

    def add(self, organization: Organization) -> None:
        self._rows.insert(organization)

    def get(self) -> Organization | None:
        return self._rows.get(self._uow.organization_id)

    def get_for_update(self) -> Organization | None:
        self._uow.lock_row(self.table.name, self._uow.organization_id)
        return self.get()

    def update(self, organization: Organization) -> None:
        self._rows.update(organization)


class UserRepository:
    table: ClassVar[MemoryTable] = USERS

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[User] = TableView(uow, self.table)

    def add(self, user: User) -> None:
        self._rows.insert(user)

    def get(self, user_id: str) -> User | None:
        return self._rows.get(user_id)

    def update(self, user: User) -> None:
        self._rows.update(user)


class MembershipRepository:
    table: ClassVar[MemoryTable] = MEMBERSHIPS

    def __init__(self, uow: Transaction) -> None:
        self._rows: TableView[Membership] = TableView(uow, self.table)

    def add(self, membership: Membership) -> None:
        if self.get_for_user(membership.user_id) is not None:
            raise DuplicateError(f"user {membership.user_id} is already a member")
        self._rows.insert(membership)

    def get_for_user(self, user_id: str) -> Membership | None:
        return next((m for m in self._rows.rows() if m.user_id == user_id), None)

    def admins(self) -> Sequence[Membership]:
        admins = (m for m in self._rows.rows() if m.role is Role.ADMIN)
        return sorted(admins, key=lambda m: (m.created_at, m.id))

    def update(self, membership: Membership) -> None:
        self._rows.update(membership)

    def remove(self, user_id: str) -> bool:
        membership = self.get_for_user(user_id)
        if membership is None:
            return False
        self._rows.delete(membership)
        return True
