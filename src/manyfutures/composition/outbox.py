"""The outbox's use cases: the dispatcher (one batch per call, from the
MANYFUTURES_OUTBOX_* settings), the scheduler's request for delivery jobs, and the
operators' list of dead messages.

Both ``manyfutures run`` and the production scheduler call ``request_delivery`` on the
outbox's beat: with the ``threads`` dispatcher it delivers the due batches at once, with
``rq`` it queues an RQ job per batch, and each job calls the same dispatcher.
"""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers

from manyfutures.adapters.memory.delivery import InlineDeliveryJobs
from manyfutures.adapters.metrics.metered import MeteredDispatchOutbox
from manyfutures.adapters.rq.outbox import RqDeliveryJobs
from manyfutures.core.outbox.use_cases import (
    ListDeadMessages,
    RequestOutboxDelivery,
    delivery_policy,
)

# The RQ job that delivers one batch (entrypoints/jobs.py; a path, as the worker imports it).
DELIVER_OUTBOX_JOB = "manyfutures.entrypoints.jobs.deliver_outbox"


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


class OutboxContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    lease = providers.Callable(_seconds, config.outbox_lease_seconds)
    # Metered: deliveries by result (adapters/metrics/metered.py).
    dispatch_outbox = providers.Singleton(
        MeteredDispatchOutbox,
        adapters.clock,
        adapters.outbox_gateway,
        adapters.email_sender,
        providers.Singleton(
            delivery_policy, config.outbox_max_attempts, config.outbox_retry_base_seconds
        ),
        lease,
        config.outbox_batch_size,
    )
    # Where delivery runs: on the beat's own thread (``threads``), or as RQ jobs.
    delivery_jobs = providers.Selector(
        config.dispatcher,
        threads=providers.Singleton(InlineDeliveryJobs, dispatch_outbox),
        rq=providers.Singleton(
            RqDeliveryJobs, adapters.redis_connection, DELIVER_OUTBOX_JOB, lease
        ),
    )
    request_delivery = providers.Singleton(
        RequestOutboxDelivery,
        adapters.clock,
        adapters.outbox_gateway,
        delivery_jobs,
        config.outbox_batch_size,
    )
    list_dead_messages = providers.Singleton(ListDeadMessages, adapters.outbox_gateway)
