"""Feature flags that gate routes: an organization without the flag is refused by name.

The refusal names the feature so a client can tell "ask your admin to switch on chat" apart
from an ordinary permission failure; it stays a ``PermissionDeniedError`` for any caller that
only cares that the action was not allowed.
"""

from __future__ import annotations

from manyfutures.core.identity.model import Organization
from manyfutures.core.shared.errors import PermissionDeniedError


class FeatureNotEnabledError(PermissionDeniedError):
    def __init__(self, feature: str) -> None:
        super().__init__(
            f"the {feature!r} feature is not enabled for this organization; "
            "an admin can enable it in the organization settings"
        )
        self.feature = feature


def require_feature(organization: Organization | None, feature: str) -> None:
    """Raise unless ``organization`` has ``feature`` on; a missing organization has none."""
    if organization is None or not organization.has_feature(feature):
        raise FeatureNotEnabledError(feature)
