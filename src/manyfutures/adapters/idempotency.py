"""The contract behind ``Idempotency-Key``: remember a response, replay it once asked again.

A request first *claims* its key with a fingerprint of what it asked for. Exactly one
claimant proceeds; a repeat with the same fingerprint gets the stored response (or
"in progress" while the first is still running), a repeat with a different fingerprint
is a client bug. The HTTP layer decides what a fingerprint is and which responses are
worth keeping; stores only keep bytes, in memory or in Redis.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

REPLAY_WINDOW_SECONDS = 24 * 60 * 60
# A claim whose request died without completing frees itself after this long.
PENDING_SECONDS = 60


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    def claim(self, key: str, fingerprint: str) -> Claim: ...

    def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        """Keep the response for the replay window."""
        ...

    def release(self, key: str, fingerprint: str) -> None:
        """Give the key up without a response (the request failed), so a retry may run."""
        ...
