"""Organizations, users and memberships, mirrored from Clerk.

Ids are Clerk's own strings (``org_…``, ``user_…``) so a webhook or a JWT claim
can be matched without a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from manyfutures.core.shared.actor import Role

DEFAULT_DAILY_COST_LIMIT_GBP = Decimal("50.00")
DEFAULT_TIMEZONE = "Europe/London"


@dataclass(slots=True, kw_only=True)
class Organization:
    id: str
    name: str
    daily_cost_limit_gbp: Decimal = DEFAULT_DAILY_COST_LIMIT_GBP
    # The plan's overrides (plans.py); None is the operator's default, a setting.
    max_active_projects: int | None = None
    daily_limit_ceiling_gbp: Decimal | None = None
    enabled_features: list[str] = field(default_factory=list)
    experimental_features: list[str] = field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    def has_feature(self, feature: str) -> bool:
        return feature in self.enabled_features or feature in self.experimental_features


@dataclass(slots=True, kw_only=True)
class User:
    id: str
    email: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(slots=True, kw_only=True)
class Membership:
    id: str
    organization_id: str
    user_id: str
    role: Role
    created_at: datetime
