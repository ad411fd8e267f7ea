"""Delivering the outbox: claim a batch, send each message with no transaction open, record.

``DispatchOutbox`` handles one batch per call. ``manyfutures run`` calls it on a beat
in a background thread; in production each call is an RQ job on the ``outbox`` queue,
which ``RequestOutboxDelivery`` queues from the scheduler's beat.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from manyfutures.core.outbox.model import OutboxMessage
from manyfutures.core.outbox.ports import (
    DeliveryJobs,
    EmailMessage,
    EmailSender,
    OutboxGateway,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.ports import Clock

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
# From one minute after the first refusal, doubling to at most an hour: eight attempts
# span about two hours, past a greylisting server's usual wait or a short outage.
DEFAULT_POLICY = RetryPolicy(
    base=timedelta(seconds=30), cap=timedelta(hours=1), max_attempts=DEFAULT_MAX_ATTEMPTS
)
DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_BATCH_SIZE = 10


@dataclass(frozen=True, slots=True)
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    @property
    def did_anything(self) -> bool:
        return self.claimed > 0


def email_for(message: OutboxMessage) -> EmailMessage:
    return EmailMessage(
        message_id=message.id,
        to=message.recipient,
        subject=message.subject,
        text=message.body,
        html=message.html,
        list_unsubscribe=message.list_unsubscribe,
    )


class DispatchOutbox:
    """At-least-once delivery: a message is marked sent only after the server took it, so a
    crash in between sends it again, with the same ``Message-ID``, once its lease runs out.

    The lease must outlast a batch's sending (``batch_size`` times the sender's timeout);
    a message whose lease ran out before its turn is left for the next claim.
    """

    def __init__(
        self,
        clock: Clock,
        gateway: OutboxGateway,
        sender: EmailSender,
        policy: RetryPolicy = DEFAULT_POLICY,
        lease: timedelta = DEFAULT_LEASE,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._clock = clock
        self._gateway = gateway
        self._sender = sender
        self._policy = policy
        self._lease = lease
        self._batch_size = batch_size

    def __call__(self) -> DispatchReport:
        # Committed by the gateway before anything is sent: no lock is held while the
        # mail server takes its time, only the lease.
        claimed = self._gateway.claim_due(
            self._clock.now(), self._lease, self._batch_size, self._policy.max_attempts
        )
        return self._deliver(claimed)

    def _deliver(self, claimed: Sequence[OutboxMessage]) -> DispatchReport:
        sent = retrying = dead = 0
        for message in claimed:
            if not message.holds_lease(self._clock.now()):
                logger.warning("outbox message %s: lease ran out before sending", message.id)
                continue
            error, permanent = self._send(message)
            now = self._clock.now()
            if error is None:
                message.mark_sent(now)
                sent += self._gateway.mark_sent(message)
            elif message.record_failure(error, now, self._policy, permanent=permanent):
                retrying += self._gateway.record_failure(message)
            else:
                logger.error("outbox message %s is dead: %s", message.id, error)
                dead += self._gateway.record_failure(message)
        return DispatchReport(len(claimed), sent, retrying, dead)

    def _send(self, message: OutboxMessage) -> tuple[str | None, bool]:
        """The refusal (None if delivered) and whether it is permanent."""
        try:
            self._sender.send(email_for(message))
        except PermanentDeliveryError as error:
            return str(error), True
        except TransientDeliveryError as error:
            return str(error), False
        except Exception as error:
            # A bug in a sender must not stop the batch; retried, and dead in the end.
            logger.exception("outbox message %s: the sender failed", message.id)
            return f"{type(error).__name__}: {error}", False
        return None, False


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    due: int = 0
    jobs_added: int = 0

    @property
    def did_anything(self) -> bool:
        return self.jobs_added > 0


DEFAULT_MAX_DELIVERY_JOBS = 4


class RequestOutboxDelivery:
    """Keep one delivery job waiting per batch of due mail, and none when none is due.

    Called on the scheduler's beat. Jobs already waiting count, so a beat while the
    workers are busy adds nothing, and a backlog never queues more than
    ``max_jobs`` at once (that many workers can deliver in parallel; each job claims
    its own batch, so extra jobs are harmless, merely idle). Two schedulers may both
    add a job on the same beat: the claim, not the job, decides who sends what.
    """

    def __init__(
        self,
        clock: Clock,
        gateway: OutboxGateway,
        jobs: DeliveryJobs,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_jobs: int = DEFAULT_MAX_DELIVERY_JOBS,
    ) -> None:
        self._clock = clock
        self._gateway = gateway
        self._jobs = jobs
        self._batch_size = batch_size
        self._max_jobs = max_jobs

    def __call__(self) -> DeliveryRequest:
        due = self._gateway.count_due(self._clock.now(), self._batch_size * self._max_jobs)
        if not due:
            return DeliveryRequest()
        return DeliveryRequest(due, self._jobs.request(math.ceil(due / self._batch_size)))


def delivery_policy(
    max_attempts: int = DEFAULT_MAX_ATTEMPTS, base_seconds: float | None = None
) -> RetryPolicy:
    """The outbox's backoff with the configured number of attempts and, when given, first
    wait: an operator (or the chaos bench) may retry sooner than a greylisting server needs."""
    base = DEFAULT_POLICY.base if base_seconds is None else timedelta(seconds=base_seconds)
    return RetryPolicy(base=base, cap=DEFAULT_POLICY.cap, max_attempts=max_attempts)


MAX_DEAD_PAGE = 500


class ListDeadMessages:
    """Operators' view: messages that will never be delivered, every organization's,
    newest first (``manyfutures outbox dead``)."""

    def __init__(self, gateway: OutboxGateway) -> None:
        self._gateway = gateway

    def __call__(self, limit: int = 50, after_id: str | None = None) -> Sequence[OutboxMessage]:
        if not 1 <= limit <= MAX_DEAD_PAGE:
            raise ValidationError.for_field("limit", f"limit must be between 1 and {MAX_DEAD_PAGE}")
        return self._gateway.dead_messages(limit, after_id)
