"""Settings for generation: the per-episode cost ceiling (and, with n8n, its webhook)."""

from __future__ import annotations

import pytest

from manyfutures.settings import Settings, SettingsError


def test_the_episode_cost_ceiling_defaults_to_a_pound_fifty() -> None:
    assert Settings.from_env({}).max_episode_cost_gbp == "1.50"
    ceiling = {"MANYFUTURES_MAX_EPISODE_COST_GBP": "0.75"}
    assert Settings.from_env(ceiling).max_episode_cost_gbp == "0.75"


@pytest.mark.parametrize("value", ["0", "-1", "abc", "NaN", "Infinity", "1,50"])
def test_the_episode_cost_ceiling_must_be_a_positive_amount(value: str) -> None:
    with pytest.raises(SettingsError, match="MAX_EPISODE_COST_GBP"):
        Settings.from_env({"MANYFUTURES_MAX_EPISODE_COST_GBP": value})
