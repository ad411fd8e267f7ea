"""Settings for generation: the per-episode cost ceiling (and, with n8n, its webhook)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from manyfutures.container import build_container
from manyfutures.core.costs.prices import ModelPrice
from manyfutures.settings import Settings, SettingsError


def test_the_episode_cost_ceiling_defaults_to_a_pound_fifty() -> None:
    assert Settings.from_env({}).max_episode_cost_gbp == "1.50"
    ceiling = {"MANYFUTURES_MAX_EPISODE_COST_GBP": "0.75"}
    assert Settings.from_env(ceiling).max_episode_cost_gbp == "0.75"


@pytest.mark.parametrize("value", ["0", "-1", "abc", "NaN", "Infinity", "1,50"])
def test_the_episode_cost_ceiling_must_be_a_positive_amount(value: str) -> None:
    with pytest.raises(SettingsError, match="MAX_EPISODE_COST_GBP"):
        Settings.from_env({"MANYFUTURES_MAX_EPISODE_COST_GBP": value})


def test_an_episode_cost_ceiling_above_every_limit_an_organization_may_set_is_refused() -> None:
    """No daily limit could admit one generation: every breaker would open at once."""
    too_dear = {
        "MANYFUTURES_MAX_EPISODE_COST_GBP": "600",
        "MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP": "500.00",
    }
    with pytest.raises(SettingsError, match="no organization's daily limit could admit"):
        Settings.from_env(too_dear)
    fits = {**too_dear, "MANYFUTURES_DEFAULT_DAILY_LIMIT_CEILING_GBP": "600.00"}
    assert Settings.from_env(fits).max_episode_cost_gbp == "600"


def test_the_price_table_is_a_json_setting_the_callbacks_are_given() -> None:
    prices = '{"claude-sonnet": {"prompt": "2.40", "completion": "12.00"}}'
    settings = Settings.from_env({"MANYFUTURES_MODEL_PRICES_GBP": prices})
    table = build_container(settings).generation.price_table()
    assert table.models == {"claude-sonnet"}
    assert table.most_expensive == ModelPrice(Decimal("2.40"), Decimal("12.00"))
    default = build_container(Settings()).generation.price_table()
    assert default.models == {"gpt-4o", "gpt-4o-mini"}


@pytest.mark.parametrize(
    "value", ["{", "{}", '{"m": {"prompt": "1"}}', '{"m": {"prompt": "-1", "completion": "1"}}']
)
def test_a_malformed_price_table_stops_start_up(value: str) -> None:
    with pytest.raises(SettingsError, match="MANYFUTURES_MODEL_PRICES_GBP"):
        Settings.from_env({"MANYFUTURES_MODEL_PRICES_GBP": value})


N8N = {
    "MANYFUTURES_GENERATOR": "n8n",
    "N8N_WEBHOOK_URL": "https://n8n.example.com/webhook/manyfutures-episode-generation",
    "N8N_WEBHOOK_HEADER_VALUE": "s3cret",
    "MANYFUTURES_PUBLIC_URL": "https://api.example.com",
}


def test_n8n_settings_have_defaults_and_their_own_names() -> None:
    settings = Settings.from_env(N8N)
    assert settings.generator == "n8n"
    assert (settings.n8n_webhook_header_name, settings.n8n_webhook_header_value) == (
        "X-Webhook-Key",
        "s3cret",
    )
    assert (settings.n8n_connect_timeout_seconds, settings.n8n_read_timeout_seconds) == (3.0, 10.0)
    assert settings.n8n_callback_secret == ""
    tuned = Settings.from_env(
        {
            **N8N,
            "N8N_WEBHOOK_HEADER_NAME": "X-N8N-Auth",
            "MANYFUTURES_N8N_CONNECT_TIMEOUT_SECONDS": "0.5",
            "MANYFUTURES_N8N_READ_TIMEOUT_SECONDS": "4",
            "N8N_CALLBACK_SECRET": "hmac-secret",
        }
    )
    assert (tuned.n8n_webhook_header_name, tuned.n8n_read_timeout_seconds) == ("X-N8N-Auth", 4.0)
    assert tuned.n8n_callback_secret == "hmac-secret"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("N8N_WEBHOOK_URL", "N8N_WEBHOOK_URL"),
        ("N8N_WEBHOOK_HEADER_VALUE", "N8N_WEBHOOK_HEADER_VALUE"),
        ("MANYFUTURES_PUBLIC_URL", "PUBLIC_URL"),
    ],
)
def test_the_n8n_generator_needs_its_webhook_credential_and_public_url(
    missing: str, named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env({k: v for k, v in N8N.items() if k != missing})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("N8N_WEBHOOK_URL", "ftp://n8n.example.com/hook"),
        ("N8N_WEBHOOK_URL", "n8n.example.com/hook"),
        ("N8N_WEBHOOK_HEADER_NAME", "X Webhook Key"),
        ("N8N_WEBHOOK_HEADER_VALUE", "line\nbreak"),
        ("MANYFUTURES_PUBLIC_URL", "api.example.com"),
        ("MANYFUTURES_N8N_READ_TIMEOUT_SECONDS", "0"),
        ("MANYFUTURES_N8N_CONNECT_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_malformed_n8n_settings_stop_start_up_naming_the_variable(
    variable: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=variable.removeprefix("MANYFUTURES_")):
        Settings.from_env({**N8N, variable: value})


def test_the_simulated_generator_needs_none_of_it() -> None:
    assert Settings.from_env({}).generator == "simulated"


def test_the_simulated_generator_walks_a_stage_every_two_seconds_unless_told_otherwise() -> None:
    assert Settings.from_env({}).simulated_stage_seconds == 2.0
    assert (
        Settings.from_env({"MANYFUTURES_SIMULATED_STAGE_SECONDS": "0"}).simulated_stage_seconds == 0
    )


@pytest.mark.parametrize("value", ["-1", "inf", "nan"])
def test_the_simulated_pace_is_never_negative_or_endless(value: str) -> None:
    with pytest.raises(SettingsError, match="SIMULATED_STAGE_SECONDS"):
        Settings.from_env({"MANYFUTURES_SIMULATED_STAGE_SECONDS": value})
