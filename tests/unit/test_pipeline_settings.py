"""The pipeline's settings: the scheduler's beat and batch, the two clocks, the RQ dispatcher."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.container import build_container
from manyfutures.core.scheduling.leases import Leases
from manyfutures.settings import Settings, SettingsError

RQ = {
    "MANYFUTURES_DISPATCHER": "rq",
    "MANYFUTURES_REDIS_URL": "redis://127.0.0.1:9/0",
    "MANYFUTURES_STORAGE": "postgres",
    "MANYFUTURES_APP_DATABASE_URL": "postgresql://app@127.0.0.1:9/none",
    "MANYFUTURES_UNSUBSCRIBE_SECRET": "test-unsubscribe-secret-0123456789abcdef",
    "MANYFUTURES_ALLOW_DEV_AUTH": "true",
}


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings.from_env({})
    assert (
        settings.tick_seconds,
        settings.scheduler_batch_size,
        settings.start_lease_seconds,
        settings.generation_deadline_seconds,
        settings.dispatcher,
    ) == (1.0, 50, 60.0, 600.0, "threads")
    assert build_container(settings).adapters.leases() == Leases(
        timedelta(seconds=60), timedelta(seconds=600)
    )


def test_the_clocks_are_read_in_seconds_and_reach_the_container() -> None:
    settings = Settings.from_env(
        {
            "MANYFUTURES_START_LEASE_SECONDS": "1.5",
            "MANYFUTURES_GENERATION_DEADLINE_SECONDS": "4",
        }
    )
    assert build_container(settings).adapters.leases() == Leases(
        timedelta(seconds=1.5), timedelta(seconds=4)
    )


@pytest.mark.parametrize(
    "variable",
    [
        "MANYFUTURES_TICK_SECONDS",
        "MANYFUTURES_START_LEASE_SECONDS",
        "MANYFUTURES_GENERATION_DEADLINE_SECONDS",
        "MANYFUTURES_SCHEDULER_BATCH_SIZE",
    ],
)
def test_beats_clocks_and_batches_must_be_positive(variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: "0"})


def test_the_rq_dispatcher_needs_redis_and_postgres() -> None:
    assert Settings.from_env(RQ).dispatcher == "rq"
    for missing in ("MANYFUTURES_REDIS_URL", "MANYFUTURES_STORAGE"):
        environment = {k: v for k, v in RQ.items() if k != missing}
        with pytest.raises(SettingsError, match="DISPATCHER=rq"):
            Settings.from_env(environment)
