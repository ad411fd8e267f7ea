"""The body POSTed to n8n's webhook: the contract's names, exactly (README, n8n section).

Extend it, never rename: the shipped workflow (integrations/n8n/) and any operator's
copy of it read these keys. Money is a decimal string, as in every other body.
"""

from __future__ import annotations

from typing import Any

from manyfutures.core.generation.ports import GenerationRequest

CALLBACK_PATH = "/webhooks/n8n/episodes"


def callback_url(public_url: str) -> str:
    """Where n8n calls back: the API's own public base plus the callback route."""
    return public_url.rstrip("/") + CALLBACK_PATH


def job_payload(request: GenerationRequest, callback: str) -> dict[str, Any]:
    cadence = request.cadence
    return {
        "runId": request.run_id,
        "episodeId": request.episode_id,
        "projectId": request.project_id,
        "organizationId": request.organization_id,
        "attempt": request.attempt,
        "project": {
            "title": request.title,
            "brief": request.brief,
            "cadence": {"mode": cadence.mode.value, "days": list(cadence.days)},
            "timezone": cadence.timezone,
        },
        "planningNotes": [{"id": note.id, "note": note.note} for note in request.planning_notes],
        "memories": [
            {"content": m.content, "type": m.memory_type, "importance": m.importance}
            for m in request.memories
        ],
        "recentEpisodes": [
            {"title": e.title, "summary": e.summary} for e in request.recent_episodes
        ],
        # Readers' verdicts on the project's episodes, newest first (ADR 0016).
        "recentFeedback": [
            {
                "episodeId": f.episode_id,
                "rating": f.rating,
                "comment": f.comment,
                "submittedAt": f.submitted_at.isoformat(),
            }
            for f in request.recent_feedback
        ],
        "maxCostGbp": str(request.max_cost_gbp),
        "callback": {"url": callback, "token": request.callback_token},
    }
