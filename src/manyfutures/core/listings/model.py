"""What a list page shows of a project or an episode: plain, JSON-ready read models.

The read side of ``GET /v1/projects`` and ``GET /v1/projects/{id}/episodes``
(ADR 0026, cosmicpython's "views"): a storage adapter maps its rows straight to these
dicts, with no entity in between. They hold only ``str``, ``int``, ``None``, lists and
dicts, in the API's own keys and order, with the API's formats: enums by value,
instants as ``datetime.isoformat()``, the delivery time as ``HH:MM``.

``project_item`` and ``episode_item`` say the same of an entity; the in-memory adapter
reads through them, and the contract tests hold each adapter's rows equal to them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from manyfutures.core.episodes.episode import Episode
from manyfutures.core.projects.model import Project


class CadenceItem(TypedDict):
    mode: str
    days: list[int]


class SourceItem(TypedDict):
    title: str
    url: str


# The keys are the API's, in camelCase.
class ProjectItem(TypedDict):
    id: str
    title: str
    brief: str
    status: str
    cadence: CadenceItem
    deliveryTime: str
    timezone: str
    nextScheduledAt: str | None
    version: int
    createdAt: str
    updatedAt: str


class EpisodeItem(TypedDict):
    id: str
    projectId: str
    status: str
    title: str | None
    summary: str | None
    scheduledFor: str
    publishedAt: str | None
    readingMinutes: int | None
    sources: list[SourceItem]
    generationAttempts: int
    generationErrors: list[str]
    stage: str | None
    percent: int
    createdAt: str


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def project_item(p: Project) -> ProjectItem:
    cadence = p.cadence
    return {
        "id": p.id,
        "title": p.title,
        "brief": p.onboarding_brief,
        "status": p.status.value,
        "cadence": {"mode": cadence.mode.value, "days": list(cadence.days)},
        "deliveryTime": cadence.delivery_time.strftime("%H:%M"),
        "timezone": cadence.timezone,
        "nextScheduledAt": iso(p.next_scheduled_at),
        "version": p.version,
        "createdAt": p.created_at.isoformat(),
        "updatedAt": p.updated_at.isoformat(),
    }


def episode_item(e: Episode) -> EpisodeItem:
    return {
        "id": e.id,
        "projectId": e.project_id,
        "status": e.status.value,
        "title": e.title,
        "summary": e.summary,
        "scheduledFor": e.scheduled_for.isoformat(),
        "publishedAt": iso(e.published_at),
        "readingMinutes": e.reading_minutes,
        "sources": [{"title": s.title, "url": s.url} for s in e.sources],
        "generationAttempts": e.generation_attempts,
        "generationErrors": list(e.generation_errors),
        "stage": None if e.progress_stage is None else e.progress_stage.value,
        "percent": e.progress_percent,
        "createdAt": e.created_at.isoformat(),
    }
