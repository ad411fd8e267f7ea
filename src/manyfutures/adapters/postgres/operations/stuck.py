"""``manyfutures episodes stuck``: episodes in GENERATING for longer than they should be.

Across organizations through the operators' function ``operations_stuck_generations``
(ADR 0007), as the owner; read only. What is shown is what an operator needs to
decide: where (organization, project, episode), which attempt, how far n8n got (stage
and percent, from its progress callbacks), since when, and when the scheduler fails
it by itself (the run's deadline, ``MANYFUTURES_GENERATION_DEADLINE_SECONDS`` after it
opened). A run past its deadline and still listed means no scheduler is running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

MAX_LIMIT = 1000

_STUCK = text(
    "SELECT organization_id, episode_id, project_id, run_id, attempt, stage, percent, "
    "started_at, deadline, queue_item_id, item_status "
    "FROM operations_stuck_generations(:started_before, :organization, :limit)"
)


@dataclass(frozen=True, slots=True)
class StuckGeneration:
    organization_id: str
    episode_id: str
    project_id: str
    run_id: str | None
    attempt: int | None
    stage: str | None
    percent: int
    started_at: datetime
    deadline: datetime | None
    queue_item_id: str | None
    item_status: str | None


def stuck_generations(
    connection: Connection, started_before: datetime, organization: str | None, limit: int
) -> Sequence[StuckGeneration]:
    """Oldest first: the longest stuck is the first to look at."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    rows = connection.execute(
        _STUCK, {"started_before": started_before, "organization": organization, "limit": limit}
    )
    return [StuckGeneration(*row) for row in rows]
