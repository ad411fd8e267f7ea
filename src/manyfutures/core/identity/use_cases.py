"""Keeping our copy of Clerk's users, organizations and memberships in step.

Upserts, because Clerk's webhooks may arrive more than once and out of order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias, assert_never

from manyfutures.core.activity.recording import Recorder, changed_settings
from manyfutures.core.identity.model import DEFAULT_TIMEZONE, Membership, Organization, User
from manyfutures.core.identity.plans import (
    Plan,
    PlanOverrides,
    change_plan,
    check_limit_within_plan,
    resolve_plan,
    validate_gbp,
)
from manyfutures.core.identity.ports import IdentityStore, IdentityUnitOfWork
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import (
    FieldErrors,
    NotFoundError,
    ValidationError,
)
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.time import load_timezone
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase

# Features an admin may switch on: each gates routes (features.require_feature), so a name
# outside the list would gate nothing and is rejected (ADR 0018: a name joins the list with
# the routes it gates, and leaves it with them).
KNOWN_FEATURES = frozenset({"chat", "highlights"})
# How many of an organization's projects are active, counted by the projects capability,
# which sits above identity (ADR 0005: a callable from above).
CountActiveProjects: TypeAlias = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class ActorQuery:
    actor: Actor


@dataclass(frozen=True, slots=True)
class MeView:
    """Who the caller is. Clerk is the source of truth, so the user or organization row may
    not have arrived by webhook yet, or exist only as admission created it (ids, no names):
    unknown details are ``None`` rather than an error or an empty string."""

    user_id: str
    email: str | None
    name: str | None
    timezone: str
    organization_id: str
    organization_name: str | None
    role: Role
    enabled_features: tuple[str, ...]
    experimental_features: tuple[str, ...]


class GetMe(UseCase[IdentityUnitOfWork]):
    def __call__(self, query: ActorQuery) -> MeView:
        actor = query.actor
        with self._uow(actor.organization_id) as uow:
            user = uow.users.get(actor.user_id)
            organization = uow.organizations.get()
        org = organization if organization and organization.deleted_at is None else None
        return MeView(
            user_id=actor.user_id,
            email=(user.email or None) if user else None,
            name=(user.name or None) if user else None,
            timezone=user.timezone if user else DEFAULT_TIMEZONE,
            organization_id=actor.organization_id,
            organization_name=(org.name or None) if org else None,
            role=actor.role,
            enabled_features=tuple(org.enabled_features) if org else (),
            experimental_features=tuple(org.experimental_features) if org else (),
        )


def load_organization(uow: IdentityStore, locked: bool = False) -> Organization:
    organization = uow.organizations.get_for_update() if locked else uow.organizations.get()
    if organization is None or organization.deleted_at is not None:
        raise NotFoundError("organization", uow.organization_id)
    return organization


@dataclass(frozen=True, slots=True)
class OrganizationSettings:
    """What admins see of their organization: its settings, and its plan in force with
    how much of it is used."""

    organization: Organization
    plan: Plan
    active_projects: int


class PlanUseCase(UseCase[IdentityUnitOfWork]):
    """A use case that resolves an organization's plan over the operator's defaults
    (settings, injected by the container)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[IdentityUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        plan_defaults: Plan,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._plan_defaults = plan_defaults


class _OrganizationSettingsUseCase(PlanUseCase):
    """Reads and writes of the organization's settings answer with its plan."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[IdentityUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        plan_defaults: Plan,
        count_active_projects: CountActiveProjects,
    ) -> None:
        super().__init__(uow, clock, ids, plan_defaults)
        self._count_active_projects = count_active_projects

    def _settings(self, organization: Organization) -> OrganizationSettings:
        return OrganizationSettings(
            organization,
            resolve_plan(organization, self._plan_defaults),
            self._count_active_projects(organization.id),
        )


class GetOrganization(_OrganizationSettingsUseCase):
    def __call__(self, query: ActorQuery) -> OrganizationSettings:
        query.actor.require_admin()
        with self._uow(query.actor.organization_id) as uow:
            organization = load_organization(uow)
        return self._settings(organization)


@dataclass(frozen=True, slots=True)
class UpdateOrganizationCommand:
    """Fields left as ``None`` keep their current value."""

    actor: Actor
    daily_cost_limit_gbp: str | None = None
    enabled_features: tuple[str, ...] | None = None
    experimental_features: tuple[str, ...] | None = None


def validate_features(field: str, names: tuple[str, ...]) -> list[str]:
    unknown = sorted({n for n in names if n not in KNOWN_FEATURES})
    if unknown:
        raise ValidationError.for_field(
            field, f"unknown feature(s) {unknown}; known features are {sorted(KNOWN_FEATURES)}"
        )
    return sorted(set(names))


class UpdateOrganization(_OrganizationSettingsUseCase):
    """Admins change the daily cost limit, up to their plan's ceiling, and feature flags;
    every change is audited.

    A raised limit may reopen a day whose cost breaker had closed it; what that means for
    the day's held-back slots is the generation capability's to decide, above this one,
    so it arrives as ``limit_raised`` (called with the organization, after the commit).

    The organization is read under its row lock, so a ceiling the operator lowers at
    the same moment is either seen here or applied (and the limit brought under it)
    after this change: never both missed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[IdentityUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        plan_defaults: Plan,
        count_active_projects: CountActiveProjects,
        limit_raised: Callable[[str], object],
    ) -> None:
        super().__init__(uow, clock, ids, plan_defaults, count_active_projects)
        self._limit_raised = limit_raised

    def __call__(self, command: UpdateOrganizationCommand) -> OrganizationSettings:
        command.actor.require_admin()
        errors = FieldErrors()
        limit = enabled = experimental = None
        if command.daily_cost_limit_gbp is not None:
            given_limit = command.daily_cost_limit_gbp
            limit = errors.check(lambda: validate_gbp("dailyCostLimitGbp", given_limit))
        if command.enabled_features is not None:
            given_enabled = command.enabled_features
            enabled = errors.check(lambda: validate_features("enabledFeatures", given_enabled))
        if command.experimental_features is not None:
            given_exp = command.experimental_features
            experimental = errors.check(
                lambda: validate_features("experimentalFeatures", given_exp)
            )
        errors.raise_if_any("the organization settings are not valid")
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            organization = load_organization(uow, locked=True)
            before = _org_settings(organization)
            old_limit = organization.daily_cost_limit_gbp
            if limit is not None:
                check_limit_within_plan(limit, resolve_plan(organization, self._plan_defaults))
                organization.daily_cost_limit_gbp = limit
            if enabled is not None:
                organization.enabled_features = enabled
            if experimental is not None:
                organization.experimental_features = experimental
            old, new = changed_settings(before, _org_settings(organization))
            if new:
                organization.updated_at = now
                uow.organizations.update(organization)
                record.audit(
                    "organization.update", "organization", organization.id, old=old, new=new
                )
                uow.commit()
        # Also for the same limit again: resuming is idempotent, so a PATCH whose resume
        # failed after its commit (a 500) is repaired by sending it again.
        if limit is not None and limit >= old_limit:
            self._limit_raised(organization.id)
        return self._settings(organization)


def _org_settings(organization: Organization) -> dict[str, object]:
    return {
        "dailyCostLimitGbp": str(organization.daily_cost_limit_gbp),
        "enabledFeatures": list(organization.enabled_features),
        "experimentalFeatures": list(organization.experimental_features),
    }


# --- Keeping users, organizations and memberships in step with Clerk --------------------
#
# Clerk is the source of truth and its webhooks may be redelivered or arrive out of order.
# Each sync is an upsert; a delete leaves a tombstone (``deleted_at``) that a late
# "created"/"updated" for the same id never resurrects, because Clerk never reuses ids.
# Each returns whether it changed anything, so the webhook can say "ignored".


@dataclass(frozen=True, slots=True)
class SyncUserCommand:
    user_id: str
    email: str
    name: str
    timezone: str | None = None


def _valid_timezone(name: str | None) -> str | None:
    """A bad zone in Clerk metadata must not block the sync; it is simply not applied."""
    if not name:
        return None
    try:
        load_timezone(name)
    except ValidationError:
        return None
    return name


def _new_user(command: SyncUserCommand, now: datetime) -> User:
    return User(
        id=command.user_id,
        email=command.email,
        name=command.name,
        timezone=_valid_timezone(command.timezone) or DEFAULT_TIMEZONE,
        created_at=now,
        updated_at=now,
    )


def _ensure_user(uow: IdentityStore, command: SyncUserCommand, now: datetime) -> User | None:
    """The user row, created from what Clerk sent if it is new; None if it was deleted."""
    user = uow.users.get(command.user_id)
    if user is None:
        user = _new_user(command, now)
        uow.users.add(user)
    return user if user.deleted_at is None else None


class SyncUser(UseCase[IdentityUnitOfWork]):
    """``user.created`` / ``user.updated``."""

    def __call__(self, command: SyncUserCommand) -> bool:
        now = self._clock.now()
        with self._uow("") as uow:  # users are global: no tenant scope needed
            user = uow.users.get(command.user_id)
            if user is None:
                uow.users.add(_new_user(command, now))
            elif user.deleted_at is not None:
                return False
            else:
                timezone = _valid_timezone(command.timezone) or user.timezone
                synced = (command.email, command.name, timezone)
                if synced == (user.email, user.name, user.timezone):
                    return False
                user.email, user.name, user.timezone = synced
                user.updated_at = now
                uow.users.update(user)
            uow.commit()
            return True


@dataclass(frozen=True, slots=True)
class DeleteUserCommand:
    user_id: str


class DeleteUser(UseCase[IdentityUnitOfWork]):
    """``user.deleted``: a tombstone, so the person's history keeps its author."""

    def __call__(self, command: DeleteUserCommand) -> bool:
        now = self._clock.now()
        with self._uow("") as uow:
            user = uow.users.get(command.user_id)
            if user is not None and user.deleted_at is not None:
                return False
            if user is None:
                uow.users.add(
                    User(
                        id=command.user_id,
                        email="",
                        name="",
                        created_at=now,
                        updated_at=now,
                        deleted_at=now,
                    )
                )
            else:
                user.deleted_at = user.updated_at = now
                uow.users.update(user)
            uow.commit()
            return True


@dataclass(frozen=True, slots=True)
class SyncOrganizationCommand:
    """``plan``: the plan in Clerk's organization metadata, when it carries a valid one;
    ``None`` leaves the stored plan as it is."""

    organization_id: str
    name: str
    plan: PlanOverrides | None = None


def _new_organization(command: SyncOrganizationCommand, now: datetime) -> Organization:
    return Organization(
        id=command.organization_id, name=command.name, created_at=now, updated_at=now
    )


def _ensure_organization(
    uow: IdentityStore, record: Recorder, command: SyncOrganizationCommand, now: datetime
) -> Organization | None:
    organization = uow.organizations.get()
    if organization is None:
        organization = _new_organization(command, now)
        uow.organizations.add(organization)
        _audit_created(record, organization)
    return organization if organization.deleted_at is None else None


def _audit_created(record: Recorder, organization: Organization) -> None:
    """Clerk tells us of an organization an admin created there: audited like our own
    changes, by nobody of ours (``user_id`` None)."""
    record.audit(
        "organization.create", "organization", organization.id, new={"name": organization.name}
    )


class SyncOrganization(PlanUseCase):
    """``organization.created`` / ``organization.updated``: the name, and the plan when
    Clerk's metadata carries one (the operator's way to sell plans through Clerk). The
    cost limit and features are ours, set by admins through the API."""

    def __call__(self, command: SyncOrganizationCommand) -> bool:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            record = Recorder(uow, self._ids, None, now)
            organization = uow.organizations.get_for_update()
            if organization is not None and organization.deleted_at is not None:
                return False
            created = organization is None
            if organization is None:
                organization = _new_organization(command, now)
                # Added first: the plan's audit rows refer to it.
                uow.organizations.add(organization)
                _audit_created(record, organization)
            renamed = organization.name != command.name
            if renamed:
                record.audit(
                    "organization.update",
                    "organization",
                    organization.id,
                    old={"name": organization.name},
                    new={"name": command.name},
                )
            organization.name = command.name
            replanned = command.plan is not None and change_plan(
                organization, command.plan, self._plan_defaults, record, "clerk"
            )
            if not (created or renamed or replanned):
                return False
            if renamed or replanned:
                organization.updated_at = now
                uow.organizations.update(organization)
            uow.commit()
            return True


@dataclass(frozen=True, slots=True)
class DeleteOrganizationCommand:
    organization_id: str


def tombstone_organization(
    uow: IdentityUnitOfWork, ids: IdGenerator, organization_id: str, now: datetime
) -> bool:
    """``organization.deleted``: a tombstone, written into the caller's unit of work; False if
    it is there already. Its sessions are refused from then on (admission.py) and its
    admin routes answer 404.

    Its projects must stop too, which identity cannot see from below them: the projects
    capability's ``DeleteOrganization`` calls this and archives them in the same transaction.
    """
    record = Recorder(uow, ids, None, now)
    organization = uow.organizations.get()
    if organization is not None and organization.deleted_at is not None:
        return False
    if organization is None:
        uow.organizations.add(
            Organization(
                id=organization_id, name="", created_at=now, updated_at=now, deleted_at=now
            )
        )
    else:
        organization.deleted_at = organization.updated_at = now
        uow.organizations.update(organization)
    record.audit("organization.delete", "organization", organization_id)
    return True


@dataclass(frozen=True, slots=True)
class SyncMembershipCommand:
    """``organizationMembership.created|updated``; carries enough of the organization and
    user to create them if their own webhooks have not arrived yet."""

    organization_id: str
    organization_name: str
    user_id: str
    email: str
    name: str
    role: Role


class SyncMembership(UseCase[IdentityUnitOfWork]):
    def __call__(self, command: SyncMembershipCommand) -> bool:
        now = self._clock.now()
        with self._uow("") as uow:
            user = _ensure_user(
                uow, SyncUserCommand(command.user_id, command.email, command.name), now
            )
            if user is None:
                return False
            uow.commit()
        with self._uow(command.organization_id) as uow:
            record = Recorder(uow, self._ids, None, now)
            organization = _ensure_organization(
                uow,
                record,
                SyncOrganizationCommand(command.organization_id, command.organization_name),
                now,
            )
            if organization is None:
                return False
            membership = uow.memberships.get_for_user(command.user_id)
            if membership is None:
                membership = Membership(
                    id=self._ids.new_id("mem"),
                    organization_id=command.organization_id,
                    user_id=command.user_id,
                    role=command.role,
                    created_at=now,
                )
                uow.memberships.add(membership)
                action, old = "membership.create", None
            elif membership.role is not command.role:
                old = membership.role.value
                membership.role = command.role
                uow.memberships.update(membership)
                action = "membership.update"
            else:
                return False
            record.audit(action, "membership", command.user_id, old=old, new=command.role.value)
            uow.commit()
            return True


@dataclass(frozen=True, slots=True)
class RemoveMembershipCommand:
    organization_id: str
    user_id: str


class RemoveMembership(UseCase[IdentityUnitOfWork]):
    """``organizationMembership.deleted``."""

    def __call__(self, command: RemoveMembershipCommand) -> bool:
        now = self._clock.now()
        with self._uow(command.organization_id) as uow:
            record = Recorder(uow, self._ids, None, now)
            membership = uow.memberships.get_for_user(command.user_id)
            if membership is None or not uow.memberships.remove(command.user_id):
                return False
            record.audit(
                "membership.delete", "membership", command.user_id, old=membership.role.value
            )
            uow.commit()
            return True


IdentityChange: TypeAlias = (
    SyncUserCommand
    | DeleteUserCommand
    | SyncOrganizationCommand
    | DeleteOrganizationCommand
    | SyncMembershipCommand
    | RemoveMembershipCommand
)


class ApplyIdentityChange(UseCase[IdentityUnitOfWork]):
    """The one door for Clerk's changes, so an entrypoint need not know which sync each
    event needs; a new kind of change that is not routed here fails the type check."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[IdentityUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        delete_organization: Callable[[DeleteOrganizationCommand], bool],
        plan_defaults: Plan,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._sync_user = SyncUser(uow, clock, ids)
        self._delete_user = DeleteUser(uow, clock, ids)
        self._sync_organization = SyncOrganization(uow, clock, ids, plan_defaults)
        # Deleting an organization stops its projects, which live above identity: the
        # projects capability supplies the use case (ADR 0005: a callable from above).
        self._delete_organization = delete_organization
        self._sync_membership = SyncMembership(uow, clock, ids)
        self._remove_membership = RemoveMembership(uow, clock, ids)

    def __call__(self, change: IdentityChange) -> bool:
        match change:
            case SyncUserCommand():
                return self._sync_user(change)
            case DeleteUserCommand():
                return self._delete_user(change)
            case SyncOrganizationCommand():
                return self._sync_organization(change)
            case DeleteOrganizationCommand():
                return self._delete_organization(change)
            case SyncMembershipCommand():
                return self._sync_membership(change)
            case RemoveMembershipCommand():
                return self._remove_membership(change)
            case _:
                assert_never(change)
