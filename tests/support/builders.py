"""Entity builders with sensible defaults, so tests state only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from manyfutures.core.costs.model import Operation, TokenUsage
from manyfutures.core.episodes.episode import Episode
from manyfutures.core.feedback.model import EpisodeFeedback, PlanningNote
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.model import Organization
from manyfutures.core.outbox.model import OutboxMessage
from manyfutures.core.projects.cadence import Cadence
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.queue import ScheduleQueueItem

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def organization(org_id: str = "org_a", **overrides: Any) -> Organization:
    fields: dict[str, Any] = {
        "id": org_id,
        "name": f"Org {org_id}",
        "created_at": T0,
        "updated_at": T0,
    }
    return Organization(**{**fields, **overrides})


def project(project_id: str = "proj_1", org: str = "org_a", **overrides: Any) -> Project:
    fields: dict[str, Any] = {
        "id": project_id,
        "organization_id": org,
        "created_by": "user_1",
        "title": "Future of energy",
        "onboarding_brief": "Grid storage and policy",
        "cadence": Cadence.create("weekly", [1], "09:00", "Europe/London"),
        "next_scheduled_at": T0 + timedelta(hours=1),
        "created_at": T0,
        "updated_at": T0,
    }
    return Project(**{**fields, **overrides})


def episode(
    episode_id: str = "ep_1", project_id: str = "proj_1", org: str = "org_a", **overrides: Any
) -> Episode:
    fields: dict[str, Any] = {
        "id": episode_id,
        "organization_id": org,
        "project_id": project_id,
        "scheduled_for": T0 + timedelta(hours=1),
        "created_at": T0,
        "updated_at": T0,
    }
    return Episode(**{**fields, **overrides})


def queue_item(
    item_id: str = "queue_1",
    project_id: str = "proj_1",
    episode_id: str = "ep_1",
    org: str = "org_a",
    slot: datetime = T0,
    **overrides: Any,
) -> ScheduleQueueItem:
    fields: dict[str, Any] = {
        "id": item_id,
        "organization_id": org,
        "project_id": project_id,
        "episode_id": episode_id,
        "scheduled_for": slot,
        "available_at": slot,
        "created_at": T0,
    }
    return ScheduleQueueItem(**{**fields, **overrides})


def generation_run(
    run_id: str = "run_1",
    episode_id: str = "ep_1",
    queue_item_id: str = "queue_1",
    org: str = "org_a",
    **overrides: Any,
) -> GenerationRun:
    fields: dict[str, Any] = {
        "id": run_id,
        "organization_id": org,
        "episode_id": episode_id,
        "queue_item_id": queue_item_id,
        "attempt": 1,
        "started_at": T0,
    }
    return GenerationRun(**{**fields, **overrides})


def planning_note(
    note_id: str = "note_1", project_id: str = "proj_1", org: str = "org_a", **overrides: Any
) -> PlanningNote:
    fields: dict[str, Any] = {
        "id": note_id,
        "organization_id": org,
        "project_id": project_id,
        "user_id": "user_1",
        "note": "Cover grid storage next",
        "created_at": T0,
    }
    return PlanningNote(**{**fields, **overrides})


def episode_feedback(
    feedback_id: str = "fb_1",
    episode_id: str = "ep_1",
    user_id: str = "user_1",
    org: str = "org_a",
    **overrides: Any,
) -> EpisodeFeedback:
    fields: dict[str, Any] = {
        "id": feedback_id,
        "organization_id": org,
        "project_id": "proj_1",
        "episode_id": episode_id,
        "user_id": user_id,
        "rating": 4,
        "comment": "Clear and useful",
        "created_at": T0,
        "updated_at": T0,
    }
    return EpisodeFeedback(**{**fields, **overrides})


def usage(
    usage_id: str,
    org: str = "org_a",
    episode_id: str | None = "ep_1",
    at: datetime = T0,
    cost: str = "0.10",
    tokens: tuple[int, int] = (100, 50),
    operation: Operation = Operation.EPISODE_GENERATION,
    **overrides: Any,
) -> TokenUsage:
    fields: dict[str, Any] = {
        "id": usage_id,
        "organization_id": org,
        "project_id": "proj_1",
        "episode_id": episode_id,
        "operation": operation,
        "model": "gpt-4o",
        "prompt_tokens": tokens[0],
        "completion_tokens": tokens[1],
        "cost_gbp": Decimal(cost),
        "created_at": at,
    }
    return TokenUsage(**{**fields, **overrides})


def outbox_message(
    message_id: str = "outbox_1", org: str = "org_a", **overrides: Any
) -> OutboxMessage:
    fields: dict[str, Any] = {
        "id": message_id,
        "organization_id": org,
        "recipient": "reader@example.org",
        "subject": "Your episode is ready",
        "body": "Read it at /episodes/ep_1",
        "available_at": T0,
        "created_at": T0,
    }
    return OutboxMessage(**{**fields, **overrides})
