"""The cost alerts and the day's end (tests/unit/use_cases/test_cost_alerts.py) again, over
PostgreSQL: the same use cases and assertions, with the production storage adapter, the
day's row lock, row-level security and the scheduler's cross-tenant function."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_cost_alerts import TestAlerts, TestDayEnd

pytestmark = pytest.mark.integration

__all__ = ["TestAlerts", "TestDayEnd"]


@pytest.fixture
def harness(db: MigratedDatabase) -> Iterator[Harness]:
    settings = Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        }
    )
    harness = Harness(settings=settings)
    yield harness
    harness.container.adapters.postgres_engine().dispose()


@pytest.fixture
def alice(harness: Harness) -> Actor:
    return harness.member("org_a", "user_alice", Role.ADMIN)
