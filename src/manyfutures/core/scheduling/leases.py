"""The two clocks of an attempt: the start lease and the generation deadline.

A claim gives the item a short *start lease*: its job must open a generation run
before it runs out. A job lost on the way (Redis restarted without persistence, a
worker killed before it began) therefore costs at most a start lease before the item
is claimed again. Opening the run swaps the start lease for the *generation
deadline*: the generator (n8n) has that long to report a result. A run still open at
the deadline has timed out; that is a failed attempt, retried with the backoff rule
like any other failure, never simply claimed again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.shared.errors import ValidationError

DEFAULT_START_LEASE = timedelta(seconds=60)
# The seeds' "< 10 minutes max" for one generation.
DEFAULT_GENERATION_DEADLINE = timedelta(seconds=600)


@dataclass(frozen=True, slots=True)
class Leases:
    start: timedelta = DEFAULT_START_LEASE
    deadline: timedelta = DEFAULT_GENERATION_DEADLINE

    def __post_init__(self) -> None:
        for name in ("start", "deadline"):
            if getattr(self, name) <= timedelta(0):
                raise ValidationError.for_field(name, f"the {name} lease must be positive")

    @classmethod
    def from_seconds(cls, start: float, deadline: float) -> Leases:
        return cls(timedelta(seconds=start), timedelta(seconds=deadline))


class Expiry(enum.StrEnum):
    """What an item's expired lease means, if it has one."""

    NONE = "none"  # not processing, or its lease is still running
    RECLAIM = "reclaim"  # the start lease ran out with attempts left: claim it again
    JOB_LOST = "job_lost"  # the start lease ran out on the final attempt: it fails
    DEADLINE = "deadline"  # the run outlived the deadline: a failed attempt, retried with backoff

    @property
    def needs_recovery(self) -> bool:
        """Only the failure path can end it; claiming again would skip the backoff."""
        return self in {Expiry.JOB_LOST, Expiry.DEADLINE}
