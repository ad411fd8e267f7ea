"""Every capability's storage in one place: which repository serves each store, and the
whole schema.

``REPOSITORIES`` names, for each store attribute of ``core.storage.StorageUnitOfWork``
(``uow.projects``, ``uow.queue``, …), the repository class that serves it; the unit
of work builds it from here on first use. Adding an entity to a capability adds one
line here (docs/adding-an-entity.md).

Each capability keeps its tables in its own module; they reach ``Base.metadata`` only
when that module is imported. Importing this module imports every one of them
(``CAPABILITIES``), so ``METADATA`` is the whole schema: Alembic (migrations/env.py),
``migrate.schema_drift`` and the schema tests read it from here, never from
``base.Base``, which holds only the tables of whatever happens to be imported.
tests/unit/adapters/test_postgres_registry.py fails if a module with rows is missing
from ``CAPABILITIES``, or a store from ``REPOSITORIES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from manyfutures.adapters.postgres import (
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
    operations_view,
    outbox,
    projects,
    scheduling,
)
from manyfutures.adapters.postgres.base import Base, tenant_column
from manyfutures.adapters.postgres.repository import Repository

CAPABILITIES: tuple[ModuleType, ...] = (
    identity,
    projects,
    episodes,
    scheduling,
    generation,
    costs,
    budget,
    feedback,
    conversations,
    activity,
    notifications,
    outbox,
)

VIEW_MODULES: tuple[ModuleType, ...] = (operations_view, listings)
"""Modules with read-only repositories over other modules' tables, and no rows of their own."""

REPOSITORIES: Mapping[str, type[Repository]] = {
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
    "operations": operations_view.OperationsRepository,
    "listings": listings.ListingRepository,
}

METADATA = Base.metadata
"""Every table, since every capability module is imported above."""

GLOBAL_TABLES = frozenset(
    table.name for table in METADATA.tables.values() if tenant_column(table) is None
)
"""Tables without a tenant: no ``organization_id``, no row-level security."""

TENANT_TABLES = tuple(
    table.name for table in METADATA.sorted_tables if tenant_column(table) is not None
)
"""Every table row-level security scopes, parents before children."""
