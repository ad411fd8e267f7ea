"""last_write_wins: a lost race is retried once, under a lock, only when no version was sent."""

from __future__ import annotations

import pytest

from manyfutures.core.projects.last_write_wins import last_write_wins
from manyfutures.core.shared.errors import VersionConflictError


class Change:
    """Loses its first ``losses`` races, recording whether each attempt held the lock."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.attempts: list[bool] = []

    def __call__(self, locked: bool) -> str:
        self.attempts.append(locked)
        if len(self.attempts) <= self.losses:
            raise VersionConflictError("project", "proj_1", 1, 2)
        return "applied"


def test_an_uncontested_change_takes_no_lock() -> None:
    change = Change(losses=0)
    assert last_write_wins(change, expected_version=None) == "applied"
    assert change.attempts == [False]


def test_a_lost_race_without_an_expected_version_is_applied_again_under_the_lock() -> None:
    change = Change(losses=1)
    assert last_write_wins(change, expected_version=None) == "applied"
    assert change.attempts == [False, True]


def test_a_lost_race_with_an_expected_version_is_the_answer() -> None:
    change = Change(losses=1)
    with pytest.raises(VersionConflictError):
        last_write_wins(change, expected_version=1)
    assert change.attempts == [False]


def test_never_more_than_two_attempts() -> None:
    """The locked attempt cannot lose a race; if it ever raised, that is not retried."""
    change = Change(losses=5)
    with pytest.raises(VersionConflictError):
        last_write_wins(change, expected_version=None)
    assert change.attempts == [False, True]
