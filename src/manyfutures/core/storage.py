"""Every capability's store as one protocol: what a storage adapter's unit of work provides.

Nothing in the core depends on this module (each use case asks only for the stores it
touches); it exists so adapters and the composition root can name the whole. A new
capability's store is added to this list.
"""

from __future__ import annotations

from typing import Protocol

from manyfutures.core.activity.ports import ActivityStore
from manyfutures.core.conversations.ports import ConversationStore
from manyfutures.core.costs.ports import BudgetStore, UsageStore
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.feedback.ports import FeedbackStore
from manyfutures.core.generation.ports import RunStore
from manyfutures.core.identity.ports import IdentityStore
from manyfutures.core.listings.ports import ListingStore
from manyfutures.core.notifications.ports import NotificationsStore
from manyfutures.core.operations.ports import OperationsStore
from manyfutures.core.outbox.ports import OutboxStore
from manyfutures.core.projects.ports import ProjectStore
from manyfutures.core.scheduling.ports import QueueStore
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory


class StorageUnitOfWork(
    IdentityStore,
    ProjectStore,
    EpisodeStore,
    QueueStore,
    RunStore,
    UsageStore,
    BudgetStore,
    FeedbackStore,
    NotificationsStore,
    ActivityStore,
    OutboxStore,
    ConversationStore,
    OperationsStore,
    ListingStore,
    Protocol,
):
    """All of them."""


StorageFactory = UnitOfWorkFactory[StorageUnitOfWork]
