"""Keeping our copy of Clerk's users, organizations and memberships in step.

Upserts, because Clerk's webhooks may arrive more than once and out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from manyfutures.core.identity.model import (
    DEFAULT_DAILY_COST_LIMIT_GBP,
    DEFAULT_TIMEZONE,
    Membership,
    Organization,
    Role,
    User,
)
from manyfutures.core.scheduling.cadence import load_timezone
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class UpsertOrganizationCommand:
    organization_id: str
    name: str
    daily_cost_limit_gbp: Decimal = DEFAULT_DAILY_COST_LIMIT_GBP


class UpsertOrganization(UseCase):
    def __call__(self, command: UpsertOrganizationCommand) -> Organization:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            organization = uow.organizations.get()
            if organization is None:
                organization = Organization(
                    id=command.organization_id,
                    name=command.name,
                    daily_cost_limit_gbp=command.daily_cost_limit_gbp,
                    created_at=now,
                    updated_at=now,
                )
                uow.organizations.add(organization)
            else:
                organization.name = command.name
                organization.updated_at = now
                uow.organizations.update(organization)
            uow.commit()
            return organization


@dataclass(frozen=True, slots=True)
class UpsertUserCommand:
    user_id: str
    email: str
    name: str
    timezone: str = DEFAULT_TIMEZONE


class UpsertUser(UseCase):
    def __call__(self, command: UpsertUserCommand) -> User:
        load_timezone(command.timezone)
        now = self._clock.now()
        # Users are global; the scope only matters for tenant tables, which this does not touch.
        with self._uow("") as uow:
            user = uow.users.get(command.user_id)
            if user is None:
                user = User(
                    id=command.user_id,
                    email=command.email,
                    name=command.name,
                    timezone=command.timezone,
                    created_at=now,
                    updated_at=now,
                )
                uow.users.add(user)
            else:
                user.email, user.name, user.timezone = command.email, command.name, command.timezone
                user.updated_at = now
                uow.users.update(user)
            uow.commit()
            return user


@dataclass(frozen=True, slots=True)
class AddMembershipCommand:
    organization_id: str
    user_id: str
    role: Role


class AddMembership(UseCase):
    def __call__(self, command: AddMembershipCommand) -> Membership:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            existing = uow.memberships.get_for_user(command.user_id)
            if existing is not None:
                return existing
            membership = Membership(
                id=self._ids.new_id("mem"),
                organization_id=command.organization_id,
                user_id=command.user_id,
                role=command.role,
                created_at=now,
            )
            uow.memberships.add(membership)
            uow.commit()
            return membership
