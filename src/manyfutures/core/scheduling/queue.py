"""The schedule queue item: one delivery slot of one project, and its attempts.

The queue (not the project's ``next_scheduled_at`` cache) is the source of truth
for what runs when. ``scheduled_for`` identifies the slot and never changes once
the slot is running; ``available_at`` is when the item may next be claimed, which
backoff pushes forward between attempts. While an attempt runs, ``lease_expires_at``
is its start lease until ``run_opened_at`` is set, and its generation deadline after
(leases.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyfutures.core.scheduling.leases import Expiry
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import StateConflictError


class QueueStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"


# Items still to be done (waiting, being started or generated, held back): the
# operations views and the queue gauge count every one of them, however old.
LIVE_QUEUE_STATUSES = (QueueStatus.PENDING, QueueStatus.PROCESSING, QueueStatus.BLOCKED)


_ALLOWED: dict[QueueStatus, frozenset[QueueStatus]] = {
    QueueStatus.PENDING: frozenset(
        {QueueStatus.PROCESSING, QueueStatus.CANCELLED, QueueStatus.BLOCKED}
    ),
    # PROCESSING -> CANCELLED: the project was paused or deleted before the job started.
    # PROCESSING -> BLOCKED: the cost gate refused the attempt before it started.
    QueueStatus.PROCESSING: frozenset(
        {
            QueueStatus.COMPLETED,
            QueueStatus.FAILED,
            QueueStatus.PENDING,
            QueueStatus.PROCESSING,
            QueueStatus.CANCELLED,
            QueueStatus.BLOCKED,
        }
    ),
    QueueStatus.BLOCKED: frozenset({QueueStatus.PENDING, QueueStatus.CANCELLED}),
    QueueStatus.COMPLETED: frozenset(),
    QueueStatus.FAILED: frozenset(),
    QueueStatus.CANCELLED: frozenset(),
}


@dataclass(slots=True, kw_only=True)
class ScheduleQueueItem:
    id: str
    organization_id: str
    project_id: str
    episode_id: str
    scheduled_for: datetime
    available_at: datetime
    status: QueueStatus = QueueStatus.PENDING
    attempt_count: int = 0
    picked_up_at: datetime | None = None
    lease_expires_at: datetime | None = None
    last_attempt_at: datetime | None = None
    # When this attempt's job opened its generation run; None while it waits for its job.
    run_opened_at: datetime | None = None
    last_error: str | None = None
    completed_at: datetime | None = None
    created_at: datetime

    def _expect(self, *statuses: QueueStatus) -> None:
        """Operations that only make sense from particular states say so explicitly."""
        if self.status not in statuses:
            raise StateConflictError(
                f"queue item {self.id} is {self.status.value}; expected "
                + " or ".join(s.value for s in statuses)
            )

    def _move(self, target: QueueStatus) -> None:
        if target not in _ALLOWED[self.status]:
            raise StateConflictError(
                f"queue item {self.id} cannot go from {self.status.value} to {target.value}"
            )
        self.status = target

    def is_due(self, now: datetime) -> bool:
        return self.status is QueueStatus.PENDING and self.available_at <= now

    def lease_expired(self, now: datetime) -> bool:
        return (
            self.status is QueueStatus.PROCESSING
            and self.lease_expires_at is not None
            and self.lease_expires_at <= now
        )

    def expiry(self, now: datetime, policy: RetryPolicy) -> Expiry:
        """Which clock ran out, if any, and so what must happen to the item now."""
        if not self.lease_expired(now):
            return Expiry.NONE
        if self.run_opened_at is not None:
            return Expiry.DEADLINE
        return Expiry.RECLAIM if policy.can_retry(self.attempt_count) else Expiry.JOB_LOST

    def claimable(self, now: datetime, policy: RetryPolicy) -> bool:
        """Due and pending with attempts left, or its job lost before it opened a run.

        A run that outlived its deadline is not claimable: it fails first, with backoff.
        """
        if self.is_due(now):
            return policy.can_retry(self.attempt_count)
        return self.expiry(now, policy) is Expiry.RECLAIM

    def claim(self, now: datetime, start_lease: timedelta) -> None:
        """Start an attempt: its job has until the start lease runs out to open a run."""
        self._move(QueueStatus.PROCESSING)
        self.attempt_count += 1
        self.picked_up_at = now
        self.last_attempt_at = now
        self.lease_expires_at = now + start_lease
        self.run_opened_at = None

    def open_run(self, now: datetime, deadline: timedelta) -> None:
        """The job opened this attempt's run: the generator now has until the deadline."""
        self._expect(QueueStatus.PROCESSING)
        self.run_opened_at = now
        self.lease_expires_at = now + deadline

    def complete(self, now: datetime) -> None:
        self._move(QueueStatus.COMPLETED)
        self.completed_at = now
        self.lease_expires_at = None

    def record_failure(self, error: str, now: datetime, policy: RetryPolicy) -> bool:
        """Record a failed attempt; return True if it will be retried."""
        # Guard first: a refused transition must leave the item untouched.
        self._expect(QueueStatus.PROCESSING)
        will_retry = policy.can_retry(self.attempt_count)
        self._move(QueueStatus.PENDING if will_retry else QueueStatus.FAILED)
        self.last_error = error
        self.lease_expires_at = None
        if will_retry:
            self.available_at = now + policy.delay(self.attempt_count)
        else:
            self.completed_at = now
        return will_retry

    def fail_permanently(self, error: str, now: datetime) -> None:
        self._move(QueueStatus.FAILED)
        self.last_error = error
        self.lease_expires_at = None
        self.completed_at = now

    def cancel(self) -> None:
        self._move(QueueStatus.CANCELLED)

    def reschedule(self, slot: datetime) -> None:
        """Move a not-yet-started slot (settings changed before it ran)."""
        if self.status is not QueueStatus.PENDING or self.attempt_count:
            raise StateConflictError(f"queue item {self.id} has started and cannot move")
        self.scheduled_for = slot
        self.available_at = slot

    def refuse_unstarted(self, reason: str, day_start: datetime) -> None:
        """The cost gate refused this attempt before its run opened: blocked, and the
        attempt the claim counted is given back.

        A refusal is not a failed attempt: nothing ran and nothing was spent. Counting it
        would let a day at its limit use up a slot's retries (three refusals and the slot
        would fail for good without a penny spent), so ``attempt_count`` returns to what it
        was before the claim. ``picked_up_at``/``last_attempt_at`` keep the claim's time:
        they say when the item was last picked up, not how often it ran.
        """
        self._expect(QueueStatus.PROCESSING)
        if self.run_opened_at is not None:
            raise StateConflictError(f"queue item {self.id} has started; its run must fail")
        self._move(QueueStatus.BLOCKED)
        self.attempt_count -= 1
        self.last_error = reason
        self.lease_expires_at = None
        self._held_for(day_start)

    def block(self, reason: str, day_start: datetime) -> None:
        """A waiting slot held back by an open cost breaker (a claimed one is refused
        instead: ``refuse_unstarted``)."""
        self._expect(QueueStatus.PENDING)
        self._move(QueueStatus.BLOCKED)
        self.last_error = reason
        self._held_for(day_start)

    def _held_for(self, day_start: datetime) -> None:
        """Held back by the breaker of the UTC day starting at ``day_start``: an overdue
        slot (due yesterday, still waiting at midnight) belongs to that day from now on,
        so raising that day's limit resumes it and that day's end, not this beat, skips
        it. ``available_at`` is when the item may next be claimed, so this is its place."""
        self.available_at = max(self.available_at, day_start)

    def unblock(self) -> None:
        self._expect(QueueStatus.BLOCKED)
        self._move(QueueStatus.PENDING)
