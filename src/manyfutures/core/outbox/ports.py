"""What the outbox needs from outside: storage inside a tenant, a cross-tenant path for the
dispatcher, templates to render an email with, and a way to send it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from manyfutures.core.outbox.emails import Email, RenderedEmail
from manyfutures.core.outbox.model import OutboxMessage
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget
from manyfutures.core.shared.unit_of_work import UnitOfWork


class OutboxRepository(Protocol):
    """Tenant-scoped, on the unit of work (``uow.outbox``): a message is added in the same
    transaction as the change it reports, so a rollback takes it away with the change."""

    def add(self, message: OutboxMessage) -> None: ...
    def get(self, message_id: str) -> OutboxMessage | None: ...


class OutboxStore(UnitOfWork, Protocol):
    """An organization's outgoing messages, written with the changes they report."""

    @property
    def outbox(self) -> OutboxRepository: ...


class OutboxGateway(Protocol):
    """The dispatcher's path across organizations (ADR 0007). Each call is atomic and
    committed before it returns, so no lock outlives it: a message is sent with nothing
    held but its lease."""

    def claim_due(
        self, now: datetime, lease: timedelta, batch_size: int, max_attempts: int
    ) -> Sequence[OutboxMessage]:
        """Claim due messages in ``available_at`` order, each with attempts left, counting
        the attempt and leasing it (``OutboxMessage.claim``); two concurrent callers never
        receive the same message. A due message with no attempt left is made dead
        (``NO_ATTEMPT_LEFT``) instead of returned."""
        ...

    def mark_sent(self, message: OutboxMessage) -> bool:
        """Store ``message`` as sent; False (nothing changed) if it is no longer pending.

        Any attempt's success counts, even one whose lease ran out: it was delivered.
        """
        ...

    def record_failure(self, message: OutboxMessage) -> bool:
        """Store the outcome ``message.record_failure`` decided (retry time or dead).

        False, and nothing changed, unless the stored message is still pending at the same
        attempt: a newer claim, or another dispatcher's success, wins over a stale failure.
        """
        ...

    def dead_messages(self, limit: int, after_id: str | None = None) -> Sequence[OutboxMessage]:
        """Every organization's dead messages, newest first; for operators."""
        ...

    def count_due(self, now: datetime, cap: int) -> int:
        """How many messages ``claim_due`` could take now, counting no further than ``cap``."""
        ...


class DeliveryJobs(Protocol):
    """Where production's deliveries run: jobs on a queue that workers take."""

    def request(self, jobs: int) -> int:
        """Have ``jobs`` delivery jobs waiting, counting those already waiting; returns
        how many it added."""
        ...


class EmailTemplates(Protocol):
    def render(self, email: Email, unsubscribe: UnsubscribeTarget | None = None) -> RenderedEmail:
        """The subject (one line), the plain-text part and the HTML part of ``email``, with
        its links made absolute (a mail client has no origin to resolve a path against);
        with ``unsubscribe``, also the signed link that stops that reader's emails of that
        kind, shown in the footer and returned for the ``List-Unsubscribe`` header."""
        ...


@dataclass(frozen=True, slots=True)
class EmailMessage:
    message_id: str
    """Stable across redeliveries: the sender makes the ``Message-ID`` header from it."""
    to: str
    subject: str
    text: str
    html: str | None = None
    """The HTML alternative of ``text``; a sender that can sends both (multipart/alternative)."""
    list_unsubscribe: str | None = None
    """The one-click unsubscribe link: the sender sends it as ``List-Unsubscribe`` with
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058)."""


class DeliveryError(Exception):
    """The mail server did not take the message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: a 4xx reply, a connection that failed or timed out."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: a 5xx reply to the message (unknown recipient, rejected content)."""


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver one message or raise a ``DeliveryError`` saying whether to retry."""
        ...
