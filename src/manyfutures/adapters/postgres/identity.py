"""Identity in PostgreSQL: organizations, users and memberships.

An organization is its own tenant (scoped by its ``id``); users are global, since one
person may belong to many organizations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, UniqueConstraint, bindparam, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from manyfutures.adapters.postgres.base import (
    Base,
    Id,
    Timestamp,
    one_of,
    org_fk,
    scoped_by,
    table_of,
)
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.identity import ports
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.errors import NotFoundError

# --- rows ---------------------------------------------------------------------------------


class OrganizationRow(Base):
    __tablename__ = "organizations"

    id: Mapped[Id] = mapped_column(primary_key=True)
    name: Mapped[str]
    daily_cost_limit_gbp: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The plan's overrides; NULL takes the operator's default (core/identity/plans.py).
    max_active_projects: Mapped[int | None]
    daily_limit_ceiling_gbp: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    enabled_features: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    experimental_features: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    deleted_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("daily_cost_limit_gbp >= 0", name="limit_not_negative"),
        CheckConstraint("max_active_projects >= 0", name="max_active_projects_not_negative"),
        CheckConstraint("daily_limit_ceiling_gbp >= 0", name="ceiling_not_negative"),
        # An organization is its own tenant.
        scoped_by("id"),
    )


class UserRow(Base):
    """Global: one person may belong to many organizations, so no tenant column and no RLS."""

    __tablename__ = "users"

    id: Mapped[Id] = mapped_column(primary_key=True)
    email: Mapped[str]
    name: Mapped[str]
    timezone: Mapped[str]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    deleted_at: Mapped[dt.datetime | None]

    __table_args__ = (scoped_by(None),)


class MembershipRow(Base):
    __tablename__ = "memberships"

    id: Mapped[Id] = mapped_column(primary_key=True)
    organization_id: Mapped[Id] = mapped_column(org_fk())
    user_id: Mapped[Id] = mapped_column(index=True)
    role: Mapped[str]
    created_at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        one_of("role", Role),
    )


# --- statements ---------------------------------------------------------------------------

_organizations = table_of(OrganizationRow)
ORGANIZATION = select(_organizations).where(_organizations.c.id == ORG)
ORGANIZATION_FOR_UPDATE = ORGANIZATION.with_for_update()

_users = table_of(UserRow)
USER = select(_users).where(_users.c.id == bindparam("id"))

_memberships = table_of(MembershipRow)
MEMBERSHIP_FOR_USER = select(_memberships).where(
    _memberships.c.organization_id == ORG, _memberships.c.user_id == bindparam("user_id")
)
ADMINS = (
    select(_memberships)
    .where(_memberships.c.organization_id == ORG, _memberships.c.role == Role.ADMIN.value)
    .order_by(_memberships.c.created_at, _memberships.c.id)
)
MEMBERSHIP_DELETE = delete(_memberships).where(
    _memberships.c.organization_id == ORG, _memberships.c.user_id == bindparam("user_id")
)


# --- mappers ------------------------------------------------------------------------------


def organization_to_row(o: Organization) -> OrganizationRow:
    return OrganizationRow(
        id=o.id,
        name=o.name,
        daily_cost_limit_gbp=o.daily_cost_limit_gbp,
        max_active_projects=o.max_active_projects,
        daily_limit_ceiling_gbp=o.daily_limit_ceiling_gbp,
        enabled_features=list(o.enabled_features),
        experimental_features=list(o.experimental_features),
        created_at=o.created_at,
        updated_at=o.updated_at,
        deleted_at=o.deleted_at,
    )


def organization_from_row(r: OrganizationRow) -> Organization:
    return Organization(
        id=r.id,
        name=r.name,
        daily_cost_limit_gbp=r.daily_cost_limit_gbp,
        max_active_projects=r.max_active_projects,
        daily_limit_ceiling_gbp=r.daily_limit_ceiling_gbp,
        enabled_features=list(r.enabled_features),
        experimental_features=list(r.experimental_features),
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


def user_to_row(u: User) -> UserRow:
    return UserRow(
        id=u.id,
        email=u.email,
        name=u.name,
        timezone=u.timezone,
        created_at=u.created_at,
        updated_at=u.updated_at,
        deleted_at=u.deleted_at,
    )


def user_from_row(r: UserRow) -> User:
    return User(
        id=r.id,
        email=r.email,
        name=r.name,
        timezone=r.timezone,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


def membership_to_row(m: Membership) -> MembershipRow:
    return MembershipRow(
        id=m.id,
        organization_id=m.organization_id,
        user_id=m.user_id,
        role=m.role.value,
        created_at=m.created_at,
    )


def membership_from_row(r: MembershipRow) -> Membership:
    return Membership(
        id=r.id,
        organization_id=r.organization_id,
        user_id=r.user_id,
        role=Role(r.role),
        created_at=r.created_at,
    )


# --- repositories -------------------------------------------------------------------------


class OrganizationRepository(Repository, ports.OrganizationRepository):
    def add(self, organization: Organization) -> None:
        self._uow.insert(organization_to_row(organization))

    def get(self) -> Organization | None:
        return self._uow.first(ORGANIZATION, organization_from_row)

    def get_for_update(self) -> Organization | None:
        """SELECT … FOR UPDATE: the row lock lasts until the transaction ends."""
        return self._uow.first(ORGANIZATION_FOR_UPDATE, organization_from_row)

    def update(self, organization: Organization) -> None:
        self._update(
            organization_to_row(organization),
            on_missing=lambda _: NotFoundError("organization", organization.id),
        )


class UserRepository(Repository, ports.UserRepository):
    def add(self, user: User) -> None:
        self._uow.insert(user_to_row(user))

    def get(self, user_id: str) -> User | None:
        return self._uow.first(USER, user_from_row, id=user_id)

    def update(self, user: User) -> None:
        self._update(user_to_row(user), on_missing=lambda _: NotFoundError("user", user.id))


class MembershipRepository(Repository, ports.MembershipRepository):
    def add(self, membership: Membership) -> None:
        self._uow.insert(membership_to_row(membership))

    def get_for_user(self, user_id: str) -> Membership | None:
        return self._uow.first(MEMBERSHIP_FOR_USER, membership_from_row, user_id=user_id)

    def admins(self) -> Sequence[Membership]:
        return [membership_from_row(r) for r in self._uow.rows(ADMINS)]

    def update(self, membership: Membership) -> None:
        self._update(
            membership_to_row(membership),
            on_missing=lambda _: NotFoundError("membership", membership.id),
        )

    def remove(self, user_id: str) -> bool:
        parameters = {"org": self._org, "user_id": user_id}
        return self._uow.now(
            lambda connection: connection.execute(MEMBERSHIP_DELETE, parameters).rowcount > 0
        )
