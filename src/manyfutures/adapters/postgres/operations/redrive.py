"""``manyfutures outbox redrive``: dead messages back to the dispatcher, after an outage.

Across organizations through the operators' function
``operations_redrive_dead_messages`` (ADR 0007), as the owner, in one transaction:
each message chosen (the ids named, or one organization's, or all, newest dead first,
at most ``limit``) becomes pending and due now with its attempts counted afresh, so it
gets ``MANYFUTURES_OUTBOX_MAX_ATTEMPTS`` more tries; its last error is kept. Delivery
stays at least once with the same ``Message-ID``: a receiver that did take a message
before it was declared dead drops the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

MAX_LIMIT = 10_000

_REDRIVE = text(
    "SELECT id, organization_id "
    "FROM operations_redrive_dead_messages(:now, :ids, :organization, :limit)"
)


@dataclass(frozen=True, slots=True)
class Redriven:
    id: str
    organization_id: str


def redrive_dead_messages(
    connection: Connection,
    now: datetime,
    *,
    ids: Sequence[str] | None,
    organization: str | None,
    limit: int,
) -> Sequence[Redriven]:
    """The messages given back, committed; the caller's connection must be in no transaction."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    with connection.begin():
        rows = connection.execute(
            _REDRIVE,
            {
                "now": now,
                "ids": list(ids) if ids else None,
                "organization": organization,
                "limit": limit,
            },
        )
        return [Redriven(*row) for row in rows]
