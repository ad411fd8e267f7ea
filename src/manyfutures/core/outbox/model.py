"""An outbox message and its delivery state machine: pending, then sent or dead.

A message is written in the same transaction as the change it reports, so it
exists exactly when the change does. Delivery happens afterwards, outside any
transaction, and may be repeated (a dispatcher that dies mid-send leaves its
message to be sent again once its lease runs out): the message's ``id`` never
changes, and is the email's ``Message-ID``, so a receiver can drop a duplicate.

A claimed message stays ``pending``: claiming only counts the attempt and leases
the message, by moving ``available_at`` to the end of the lease, so one rule —
pending and ``available_at <= now`` — says what may be claimed, whether the
message is new, waiting for a retry, or abandoned by a dispatcher that died.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import StateConflictError

ID_PREFIX = "outbox"
NO_ATTEMPT_LEFT = "no attempt left: the lease of the last attempt ran out before it reported"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


_ALLOWED: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.SENT, OutboxStatus.DEAD}),
    OutboxStatus.SENT: frozenset(),
    OutboxStatus.DEAD: frozenset(),
}


@dataclass(slots=True, kw_only=True)
class OutboxMessage:
    """One email to one recipient (webhooks may be a further kind of message).

    It holds exactly what will be sent, rendered when it was written: a template changed
    by a later release never alters a message already promised, and a redelivery sends
    the same bytes. ``body`` is the plain-text part; ``html``, when present, the HTML
    alternative of the same content.
    """

    id: str
    organization_id: str
    recipient: str
    subject: str
    body: str
    html: str | None = None
    list_unsubscribe: str | None = None
    """The signed one-click unsubscribe link (RFC 8058) sent in the ``List-Unsubscribe``
    header, when the email is one a reader can switch off."""
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    available_at: datetime
    lease_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    dead_at: datetime | None = None

    @classmethod
    def email(
        cls,
        *,
        id: str,
        organization_id: str,
        recipient: str,
        subject: str,
        body: str,
        html: str | None = None,
        list_unsubscribe: str | None = None,
        now: datetime,
    ) -> OutboxMessage:
        """A new message, deliverable at once."""
        return cls(
            id=id,
            organization_id=organization_id,
            recipient=recipient,
            subject=subject,
            body=body,
            html=html,
            list_unsubscribe=list_unsubscribe,
            available_at=now,
            created_at=now,
        )

    def _move(self, target: OutboxStatus) -> None:
        if target not in _ALLOWED[self.status]:
            raise StateConflictError(
                f"outbox message {self.id} cannot go from {self.status.value} to {target.value}"
            )
        self.status = target

    def is_due(self, now: datetime) -> bool:
        """Pending and not leased: new, waiting for a retry that is now due, or abandoned."""
        return self.status is OutboxStatus.PENDING and self.available_at <= now

    def holds_lease(self, now: datetime) -> bool:
        """Whether the dispatcher that claimed it may still send it: past the lease, another
        dispatcher may have claimed it again, so sending would only make a duplicate."""
        return (
            self.status is OutboxStatus.PENDING
            and self.lease_until is not None
            and now < self.lease_until
        )

    def claim(self, now: datetime, lease: timedelta) -> None:
        """Start an attempt: nobody else claims the message until the lease runs out."""
        if not self.is_due(now):
            raise StateConflictError(f"outbox message {self.id} is not due at {now.isoformat()}")
        self.attempts += 1
        self.lease_until = now + lease
        self.available_at = self.lease_until

    def mark_sent(self, now: datetime) -> None:
        self._move(OutboxStatus.SENT)
        self.sent_at = now
        self.lease_until = None

    def record_failure(
        self, error: str, now: datetime, policy: RetryPolicy, *, permanent: bool
    ) -> bool:
        """Record a refused attempt; True if it will be retried (after the policy's delay).

        A permanent refusal, or a transient one on the last allowed attempt, is final.
        """
        if self.status is not OutboxStatus.PENDING:
            raise StateConflictError(f"outbox message {self.id} is {self.status.value}")
        if permanent or not policy.can_retry(self.attempts):
            self.give_up(error, now)
            return False
        self.last_error = error
        self.lease_until = None
        self.available_at = now + policy.delay(self.attempts)
        return True

    def give_up(self, error: str, now: datetime) -> None:
        self._move(OutboxStatus.DEAD)
        self.last_error = error
        self.lease_until = None
        self.dead_at = now
