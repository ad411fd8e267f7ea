"""The feature gate: refused exactly when neither the enabled nor the experimental list has it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.identity.features import FeatureNotEnabledError, require_feature
from manyfutures.core.identity.use_cases import validate_features
from manyfutures.core.shared.errors import ValidationError
from manyfutures.entrypoints.http.problems import _from_domain
from tests.support import builders

NAMES = st.sampled_from(["chat", "highlights", "other"])


@given(st.lists(NAMES), st.lists(NAMES), NAMES)
def test_a_feature_is_allowed_only_when_listed(
    enabled: list[str], experimental: list[str], feature: str
) -> None:
    organization = builders.organization(
        enabled_features=enabled, experimental_features=experimental
    )
    if feature in enabled or feature in experimental:
        require_feature(organization, feature)
    else:
        with pytest.raises(FeatureNotEnabledError) as refused:
            require_feature(organization, feature)
        assert refused.value.feature == feature


def test_an_organization_not_yet_mirrored_has_no_features() -> None:
    with pytest.raises(FeatureNotEnabledError):
        require_feature(None, "chat")


def test_the_refusal_is_a_403_problem_naming_the_feature() -> None:
    response = _from_domain(FeatureNotEnabledError("chat"))
    assert response.status_code == 403
    body = response.get_json(force=True)
    assert body["type"] == "/problems/feature-not-enabled"
    assert body["feature"] == "chat"
    assert "chat" in body["detail"]


@pytest.mark.parametrize("name", ["memories", "onboarding", "notifications", "time_travel"])
def test_only_names_that_gate_routes_can_be_switched_on(name: str) -> None:
    assert validate_features("enabledFeatures", ("highlights", "chat")) == ["chat", "highlights"]
    with pytest.raises(ValidationError) as caught:
        validate_features("enabledFeatures", ("chat", name))
    assert list(caught.value.field_errors) == ["enabledFeatures"]
