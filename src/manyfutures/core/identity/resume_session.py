"""Resuming a console session: is its membership still live, and what is it now?

The console keeps its own session cookie for hours after one verified sign-in (ADR
0022), far longer than a Clerk token lives. So every console request resumes the
session here, in one short read-only transaction: a user, organization or
membership a webhook deleted ends the session on its very next request, in every
process, and the role and time zone shown are today's, not the sign-in's.

Unlike admission (admission.py), nothing is created: the sign-in admitted the
session, so a row missing now was deleted since.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyfutures.core.identity.ports import AuthenticationError, IdentityUnitOfWork
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.core.shared.use_case import UseCase


@dataclass(frozen=True, slots=True)
class ResumeSessionQuery:
    user_id: str
    organization_id: str


@dataclass(frozen=True, slots=True)
class ResumedSession:
    actor: Actor
    user_name: str | None
    timezone: str
    organization_name: str | None


class ResumeSession(UseCase[IdentityUnitOfWork]):
    """A deleted (or vanished) user is unauthenticated; a deleted organization or a
    removed membership is forbidden, as admission words them."""

    def __call__(self, query: ResumeSessionQuery) -> ResumedSession:
        with self._uow(query.organization_id) as uow:
            user = uow.users.get(query.user_id)
            organization = uow.organizations.get()
            membership = uow.memberships.get_for_user(query.user_id)
        if user is None or user.deleted_at is not None:
            raise AuthenticationError("this user has been deleted: sign in again")
        if organization is None or organization.deleted_at is not None:
            raise PermissionDeniedError("this organization has been deleted")
        if membership is None:
            raise PermissionDeniedError("you are no longer a member of this organization")
        return ResumedSession(
            actor=Actor(query.user_id, query.organization_id, Role(membership.role)),
            user_name=user.name or None,
            timezone=user.timezone,
            organization_name=organization.name or None,
        )
