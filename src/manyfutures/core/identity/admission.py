"""Admitting a verified session: its user, organization and membership exist and are live.

Clerk is the source of truth, and the webhooks that copy its users, organizations
and memberships here can arrive after the first request of a new sign-up. Every
tenant row references its organization, so until that row exists every write
fails. Admission creates what is missing just in time, from what the session
token says (the ids and the role); the webhooks fill in names and emails later as
ordinary updates of the same rows.

What a webhook deleted stays deleted. A session token outlives a deletion by up
to a minute and Clerk never reuses ids, so:

* a deleted user (tombstone: ``deleted_at``) is refused as unauthenticated (401);
* a deleted organization (tombstone) is refused as forbidden (403);
* a membership a webhook removed is refused as forbidden (403). Its row is gone,
  so the removal is read from the audit row the removal wrote: once removed, only
  Clerk's own webhook brings a member back.

Admission runs only when the rows are not known to be there (the HTTP layer
remembers admitted sessions for a short while), so it costs nothing per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.identity.ports import AuthenticationError, IdentityUnitOfWork
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import DuplicateError, PermissionDeniedError
from manyfutures.core.shared.use_case import UseCase

MEMBERSHIP_CREATED = "membership.create"
MEMBERSHIP_REMOVED = "membership.delete"


@dataclass(frozen=True, slots=True)
class AdmitSessionCommand:
    actor: Actor


class AdmitSession(UseCase[IdentityUnitOfWork]):
    """Refuse a session whose user, organization or membership was deleted; create the
    rows a new session is missing. Two first requests racing are both admitted: the
    one whose inserts lose finds the winner's rows when it looks again."""

    def __call__(self, command: AdmitSessionCommand) -> None:
        try:
            self._admit(command.actor)
        except DuplicateError:
            self._admit(command.actor)

    def _admit(self, actor: Actor) -> None:
        with self._uow(actor.organization_id) as uow:
            user = uow.users.get(actor.user_id)
            organization = uow.organizations.get()
            membership = uow.memberships.get_for_user(actor.user_id)
            if user is not None and user.deleted_at is not None:
                raise AuthenticationError("this user has been deleted: sign in again")
            if organization is not None and organization.deleted_at is not None:
                raise PermissionDeniedError("this organization has been deleted")
            if membership is None and _removed(uow, actor.user_id):
                raise PermissionDeniedError("you are no longer a member of this organization")
            if user is not None and organization is not None and membership is not None:
                return
            now = self._clock.now()
            if organization is None:
                uow.organizations.add(_organization(actor, now))
            if user is None:
                uow.users.add(_user(actor, now))
            if membership is None:
                self._add_membership(uow, actor, now)
            uow.commit()

    def _add_membership(self, uow: IdentityUnitOfWork, actor: Actor, now: datetime) -> None:
        uow.memberships.add(
            Membership(
                id=self._ids.new_id("mem"),
                organization_id=actor.organization_id,
                user_id=actor.user_id,
                role=actor.role,
                created_at=now,
            )
        )
        Recorder(uow, self._ids, None, now).audit(
            MEMBERSHIP_CREATED, "membership", actor.user_id, new=actor.role.value
        )


def _removed(uow: ActivityStore, user_id: str) -> bool:
    return bool(uow.audit_log.list(action=MEMBERSHIP_REMOVED, resource_id=user_id, limit=1))


def _organization(actor: Actor, now: datetime) -> Organization:
    """Named by its webhook later; until then the name is unknown (empty)."""
    return Organization(id=actor.organization_id, name="", created_at=now, updated_at=now)


def _user(actor: Actor, now: datetime) -> User:
    """Email and name arrive with the user's webhook; the time zone keeps its default."""
    return User(id=actor.user_id, email="", name="", created_at=now, updated_at=now)
