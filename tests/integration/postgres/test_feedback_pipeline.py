"""The note lifecycle and episode feedback scenarios (tests/unit/use_cases/) again, over
PostgreSQL: the same use cases and assertions, with the production storage adapter,
its upsert and its row-level security."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_episode_feedback import (
    test_a_second_verdict_replaces_the_first,
    test_another_organizations_episode_is_not_found,
    test_the_next_run_carries_the_projects_latest_verdicts_newest_first,
)
from tests.unit.use_cases.test_note_lifecycle import (
    test_a_failed_run_hands_its_notes_back_and_the_retry_carries_them_again,
    test_a_note_archived_while_sent_stays_archived_when_the_episode_publishes,
    test_pending_then_sent_with_its_run_then_incorporated_when_the_episode_publishes,
    test_sent_is_pending_again_once_the_slot_fails_for_good_and_the_next_run_carries_it,
)

pytestmark = pytest.mark.integration

__all__ = [
    "test_a_failed_run_hands_its_notes_back_and_the_retry_carries_them_again",
    "test_a_note_archived_while_sent_stays_archived_when_the_episode_publishes",
    "test_a_second_verdict_replaces_the_first",
    "test_another_organizations_episode_is_not_found",
    "test_pending_then_sent_with_its_run_then_incorporated_when_the_episode_publishes",
    "test_sent_is_pending_again_once_the_slot_fails_for_good_and_the_next_run_carries_it",
    "test_the_next_run_carries_the_projects_latest_verdicts_newest_first",
]


@pytest.fixture
def harness(db: MigratedDatabase) -> Iterator[Harness]:
    settings = Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        }
    )
    harness = Harness(settings=settings)
    yield harness
    harness.container.adapters.postgres_engine().dispose()


@pytest.fixture
def alice(harness: Harness) -> Actor:
    return harness.member("org_a", "user_alice", Role.ADMIN)


@pytest.fixture
def bob(harness: Harness) -> Actor:
    return harness.member("org_b", "user_bob")
