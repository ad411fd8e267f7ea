"""Development authentication: trust ``X-Dev-User`` / ``X-Dev-Org`` headers.

For demos and tests without Clerk. The headers are unsigned claims, so this is
only ever wired with in-memory storage unless explicitly forced.
"""

from __future__ import annotations

from collections.abc import Mapping

from manyfutures.core.identity.ports import AuthenticationError, Principal
from manyfutures.core.shared.actor import Role

USER_HEADER = "X-Dev-User"
ORG_HEADER = "X-Dev-Org"
ROLE_HEADER = "X-Dev-Role"


class DevHeaderVerifier:
    def verify(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Principal:
        user_id = headers.get(USER_HEADER, "").strip()
        if not user_id:
            raise AuthenticationError(f"send the {USER_HEADER} and {ORG_HEADER} headers")
        organization_id = headers.get(ORG_HEADER, "").strip() or None
        role_name = headers.get(ROLE_HEADER, Role.MEMBER.value).strip().lower()
        try:
            role = Role(role_name)
        except ValueError:
            raise AuthenticationError(
                f"{ROLE_HEADER} must be one of {[r.value for r in Role]}"
            ) from None
        return Principal(user_id, organization_id, role if organization_id else None)
