"""Identity's ports: who is calling (credentials to a principal), and where its rows live."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.errors import DomainError
from manyfutures.core.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    organization_id: str | None
    role: Role | None


class AuthenticationError(DomainError):
    """Missing, malformed, expired or untrusted credentials."""


class IdentityProviderUnavailableError(Exception):
    """The identity provider could not be asked (a key endpoint down): our problem, so a
    503 to retry, not the caller's 401."""


class IdentityVerifier(Protocol):
    def verify(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Principal:
        """Return the principal, raise AuthenticationError for bad credentials, or
        IdentityProviderUnavailableError when they cannot be checked right now."""
        ...


class OrganizationRepository(Protocol):
    def add(self, organization: Organization) -> None: ...
    def get(self) -> Organization | None:
        """The unit of work's own organization."""
        ...

    def get_for_update(self) -> Organization | None:
        """Like ``get``, after waiting for any other unit of work holding the row; then no
        other unit of work can change it, or take it, until this one ends. Rules that
        count the organization's rows (its active projects against its plan) hold it
        first, so two units of work never count the same state and both add."""
        ...

    def update(self, organization: Organization) -> None: ...


class UserRepository(Protocol):
    """Users are global (one person, many organizations); read by id only."""

    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def update(self, user: User) -> None: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> None:
        """Raise DuplicateError if the user is already a member."""
        ...

    def get_for_user(self, user_id: str) -> Membership | None: ...
    def admins(self) -> Sequence[Membership]:
        """The organization's admins, oldest membership first: whom its cost alerts go to."""
        ...

    def update(self, membership: Membership) -> None: ...
    def remove(self, user_id: str) -> bool:
        """Delete the user's membership; False if there was none."""
        ...


class IdentityStore(UnitOfWork, Protocol):
    """Organizations, users and memberships, as one organization's unit of work sees them."""

    @property
    def organizations(self) -> OrganizationRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...


class IdentityUnitOfWork(IdentityStore, ActivityStore, Protocol):
    """What identity's use cases touch: its own rows, and the audit trail of their changes."""
