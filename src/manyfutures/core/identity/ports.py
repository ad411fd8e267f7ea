"""Who is calling: turns request credentials into an authenticated principal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from manyfutures.core.shared.actor import Role
from manyfutures.core.shared.errors import DomainError


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
