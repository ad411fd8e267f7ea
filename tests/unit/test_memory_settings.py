"""The memory settings: the launch day the time trigger counts from, and the check's beat."""

from __future__ import annotations

from datetime import date

import pytest

from manyfutures.settings import Settings, SettingsError
from tests.support.container import deterministic_container


def test_no_launch_day_by_default_and_a_daily_check() -> None:
    settings = Settings.from_env({})
    assert (settings.launch_date, settings.memory_check_seconds) == ("", 86_400.0)
    assert deterministic_container(settings).memories.launched_on() is None


def test_the_launch_day_reaches_the_use_cases_as_a_date() -> None:
    settings = Settings.from_env({"MANYFUTURES_LAUNCH_DATE": "2026-03-31"})
    assert deterministic_container(settings).memories.launched_on() == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MANYFUTURES_LAUNCH_DATE", "31/03/2026"),
        ("MANYFUTURES_LAUNCH_DATE", "2026-02-30"),
        ("MANYFUTURES_MEMORY_CHECK_SECONDS", "0"),
    ],
)
def test_a_bad_memory_setting_fails_at_start_up_naming_it(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
