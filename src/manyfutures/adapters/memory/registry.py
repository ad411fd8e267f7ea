"""Which repository serves each store attribute of the unit of work: one line per repository.

Adding an entity is its capability's module plus its line here; the unit of work, its
commit and its tables are derived from this mapping (each repository names its table).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from manyfutures.adapters.memory import (
    activity,
    budget,
    conversations,
    costs,
    episodes,
    feedback,
    generation,
    identity,
    listings,
    notifications,
    operations,
    outbox,
    projects,
    scheduling,
)
from manyfutures.adapters.memory.tables import MemoryTable, Transaction


class MemoryRepository(Protocol):
    table: ClassVar[MemoryTable]

    def __init__(self, uow: Transaction) -> None: ...


class MemoryView(Protocol):
    def __init__(self, uow: Transaction) -> None: ...


REPOSITORIES: dict[str, type[MemoryRepository]] = {
    "organizations": identity.OrganizationRepository,
    "users": identity.UserRepository,
    "memberships": identity.MembershipRepository,
    "projects": projects.ProjectRepository,
    "episodes": episodes.EpisodeRepository,
    "blocks": episodes.BlockRepository,
    "queue": scheduling.QueueRepository,
    "runs": generation.RunRepository,
    "token_usage": costs.TokenUsageRepository,
    "budget_days": budget.BudgetDayRepository,
    "cost_reservations": budget.CostReservationRepository,
    "planning_notes": feedback.PlanningNoteRepository,
    "episode_feedback": feedback.EpisodeFeedbackRepository,
    "agent_memories": feedback.AgentMemoryRepository,
    "highlights": feedback.HighlightRepository,
    "events": activity.UserEventRepository,
    "audit_log": activity.AuditLogRepository,
    "notifications": activity.NotificationRepository,
    "notification_preferences": notifications.NotificationPreferenceRepository,
    "outbox": outbox.OutboxRepository,
    "conversations": conversations.ConversationRepository,
    "chat_messages": conversations.ChatMessageRepository,
}
# Read-only views over several tables: no table of their own, nothing to commit.
VIEWS: dict[str, type[MemoryView]] = {
    "operations": operations.OperationsRepository,
    "listings": listings.ListingRepository,
}
# Tables a repository keeps beside its own, committed with the rest.
SECONDARY_TABLES = (costs.TOKEN_USAGE_RUNS,)
TABLES = (*(repository.table for repository in REPOSITORIES.values()), *SECONDARY_TABLES)
