"""Advancing due projects a chunk at a time (tests/unit/use_cases/test_advance_chunks.py)
again, over PostgreSQL: there a project advanced elsewhere refuses the chunk's insert on
the live-slot unique index, and the rolled-back chunk is redone project by project."""

from __future__ import annotations

import pytest

from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.unit.use_cases.test_advance_chunks import (
    counted,
    test_a_chunk_reuses_a_left_behind_draft_once,
    test_a_draft_left_at_the_next_slot_is_not_given_to_both_slots,
    test_a_project_advanced_elsewhere_costs_the_rest_of_its_chunk_nothing,
    test_one_beat_advances_many_organizations_a_chunk_per_unit_of_work,
)

pytestmark = pytest.mark.integration

__all__ = [
    "counted",
    "test_a_chunk_reuses_a_left_behind_draft_once",
    "test_a_draft_left_at_the_next_slot_is_not_given_to_both_slots",
    "test_a_project_advanced_elsewhere_costs_the_rest_of_its_chunk_nothing",
    "test_one_beat_advances_many_organizations_a_chunk_per_unit_of_work",
]


@pytest.fixture
def settings(db: MigratedDatabase) -> Settings:
    return Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        }
    )
