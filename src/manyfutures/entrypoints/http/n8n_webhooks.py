"""n8n's callbacks for a generation run: ``POST /webhooks/n8n/episodes``.

Order of checks: the HMAC signature when ``N8N_CALLBACK_SECRET`` is set (401, nothing
parsed), the bearer token's presence (401), the body through the one JSON loader and
the callback schema (a well-formed progress body by a quicker check that returns
the same, progress_body.py; 400 / 422 with field errors; 413 above the size limit, from
werkzeug), then the one use case, which authenticates the token against the run
(401 for an unknown run or a wrong token, nothing changed) and applies it. A
callback that changes nothing (a duplicate, a superseded run, an episode already
final, stale progress) is still a 200 that says so, so n8n does not retry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from manyfutures.adapters.metrics.prometheus import current_metrics
from manyfutures.adapters.n8n.callback_signature import CallbackSignatureVerifier
from manyfutures.container import Container
from manyfutures.core.episodes.episode import Source
from manyfutures.core.generation.callbacks import (
    EpisodeWritten,
    GenerationCallback,
    GenerationGaveUp,
    ProgressMade,
    ReceiveGenerationCallback,
    ReportedUsage,
)
from manyfutures.core.generation.use_cases import ProgressOutcome, ResultOutcome
from manyfutures.core.identity.ports import AuthenticationError
from manyfutures.core.shared.errors import DomainError
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.problems import ProblemError
from manyfutures.entrypoints.http.progress_body import well_formed_progress
from manyfutures.entrypoints.http.requests import load_json
from manyfutures.entrypoints.http.responses import json_response
from manyfutures.entrypoints.http.schemas import (
    GenerationCallbackResultSchema,
    GenerationCallbackSchema,
)
from manyfutures.log_context import bind

blueprint = Blueprint("n8n_webhooks", __name__)

DETAILS: dict[ResultOutcome | ProgressOutcome, str] = {
    ProgressOutcome.APPLIED: "progress recorded",
    ProgressOutcome.OUT_OF_ORDER: "progress at or behind what the episode shows; ignored",
    ProgressOutcome.RUN_FINISHED: "this run already finished; progress ignored",
    ResultOutcome.PUBLISHED: "episode published",
    ResultOutcome.RETRY_SCHEDULED: "attempt failed; a retry is scheduled",
    ResultOutcome.FAILED: "attempt failed; the episode failed for good",
    ResultOutcome.DUPLICATE: "this run already finished; nothing published, "
    "reported usage recorded once",
    ResultOutcome.SUPERSEDED: "a newer attempt owns this episode; nothing published, "
    "reported usage recorded once",
    ResultOutcome.EPISODE_FINAL: "the episode is already published or failed; nothing "
    "published, reported usage recorded once",
}


# What each outcome counts as in ``manyfutures_callbacks_total``. A callback refused
# (signature, token, body: a 4xx) counts as "refused"; one that failed on our side (a
# 5xx: the database unreachable) as "error".
VERDICTS: dict[ResultOutcome | ProgressOutcome, str] = {
    ProgressOutcome.APPLIED: "accepted",
    ProgressOutcome.OUT_OF_ORDER: "duplicate",
    ProgressOutcome.RUN_FINISHED: "stale",
    ResultOutcome.PUBLISHED: "accepted",
    ResultOutcome.RETRY_SCHEDULED: "accepted",
    ResultOutcome.FAILED: "accepted",
    ResultOutcome.DUPLICATE: "duplicate",
    ResultOutcome.SUPERSEDED: "stale",
    ResultOutcome.EPISODE_FINAL: "stale",
}


@blueprint.post("/webhooks/n8n/episodes")
@operation(
    "Webhooks",
    "n8n reports a generation run's progress, its episode or its failure",
    body=GenerationCallbackSchema,
    responses={200: GenerationCallbackResultSchema},
    public=True,
    errors=(400, 401, 413, 422),
)
@inject
def n8n_episode_callback(
    signature: CallbackSignatureVerifier = Provide[Container.http.n8n_callback_signature],
    receive_callback: ReceiveGenerationCallback = Provide[
        Container.generation.receive_generation_callback
    ],
) -> Response:
    metrics = current_metrics()
    kind = "unknown"
    try:
        raw = request.get_data(cache=True)
        signature.verify(raw, cast(Mapping[str, str], request.headers))
        token = _bearer_token(request.headers.get("Authorization", ""))
        body = load_json(raw, GenerationCallbackSchema, well_formed_progress)
        kind = body["type"]
        bind(run_id=body["run_id"])
        receipt = receive_callback(GenerationCallback(body["run_id"], token, _report(body)))
    except Exception as error:
        if metrics is not None:
            refused = isinstance(error, DomainError | ProblemError | HTTPException)
            metrics.callbacks.labels(kind, "refused" if refused else "error").inc()
        raise
    if metrics is not None:
        metrics.callbacks.labels(kind, VERDICTS[receipt.outcome]).inc()
    return json_response(
        GenerationCallbackResultSchema,
        {
            "received": True,
            "run_id": body["run_id"],
            "type": body["type"],
            "outcome": receipt.outcome.value,
            "applied": receipt.applied,
            "detail": DETAILS[receipt.outcome],
        },
    )


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the run's callback token as 'Authorization: Bearer …'")
    return token.strip()


def _report(body: dict[str, Any]) -> ProgressMade | EpisodeWritten | GenerationGaveUp:
    if body["type"] == "progress":
        return ProgressMade(body["stage"], body["percent"])
    usage = _usage(body["token_usage"]) if "token_usage" in body else None
    if body["type"] == "completed":
        return EpisodeWritten(
            title=body["title"],
            summary=body["summary"],
            content=body["content"],
            sources=tuple(Source(s["title"], s["url"]) for s in body.get("sources", [])),
            reasoning=body.get("reasoning"),
            confidence=body.get("confidence"),
            usage=usage or (),
        )
    return GenerationGaveUp(body["error"], body["retryable"], usage)


def _usage(lines: list[dict[str, Any]]) -> tuple[ReportedUsage, ...]:
    """A line without ``costGbp`` is priced by the use case, from the price table."""
    return tuple(
        ReportedUsage(
            line["model"],
            line["prompt_tokens"],
            line["completion_tokens"],
            Decimal(line["cost_gbp"]) if "cost_gbp" in line else None,
        )
        for line in lines
    )
