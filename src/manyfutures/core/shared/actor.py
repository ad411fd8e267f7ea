"""Who is acting, and in which organization: the tenant scope of every use case.

It sits in ``shared`` because every capability checks it, while the records it
points at (organizations, users, memberships) belong to ``identity``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from manyfutures.core.shared.errors import PermissionDeniedError


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str
    organization_id: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDeniedError("only organization admins may do this")
