"""The outbox's use cases: the dispatcher (one batch per call, from the
MANYFUTURES_OUTBOX_* settings) and the operators' list of dead messages.

``manyfutures run`` calls the dispatcher on a beat; a queued job will call the same provider.
"""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers

from manyfutures.core.outbox.use_cases import DispatchOutbox, ListDeadMessages, delivery_policy


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


class OutboxContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    dispatch_outbox = providers.Singleton(
        DispatchOutbox,
        adapters.clock,
        adapters.outbox_gateway,
        adapters.email_sender,
        providers.Singleton(delivery_policy, config.outbox_max_attempts),
        providers.Callable(_seconds, config.outbox_lease_seconds),
        config.outbox_batch_size,
    )
    list_dead_messages = providers.Singleton(ListDeadMessages, adapters.outbox_gateway)
