"""A fast check for the commonest callback body: a well-formed ``progress`` one.

n8n sends three progress callbacks per episode, each four plain members. Loading them
through ``GenerationCallbackSchema`` (marshmallow: every declared field visited, the
type-dependent ``validates_schema`` hook) was most of the schema time the API spent per
episode. This accepts only a body that schema would accept unchanged and returns what
it would return; anything else (a float percent, an unknown member, a bad id) returns
None and goes through the schema, which alone words the 422's field errors.
tests/unit/http/test_progress_body.py holds the two equal.
"""

from __future__ import annotations

import re
from typing import Any

from manyfutures.core.episodes.episode import GenerationStage
from manyfutures.entrypoints.http.schemas import ID_PATTERN

_RUN_ID = re.compile(ID_PATTERN)
_MEMBERS = frozenset({"runId", "type", "stage", "percent"})
_STAGES = {stage.value: stage for stage in GenerationStage}


def well_formed_progress(data: dict[str, Any]) -> dict[str, Any] | None:
    """The schema's load of ``data`` if it is a valid progress body; otherwise None."""
    if data.keys() != _MEMBERS or data["type"] != "progress":
        return None
    run_id, stage, percent = data["runId"], data["stage"], data["percent"]
    if type(run_id) is not str or _RUN_ID.fullmatch(run_id) is None:
        return None
    if type(stage) is not str or stage not in _STAGES:
        return None
    if type(percent) is not int or not 0 <= percent <= 100:
        return None
    return {"run_id": run_id, "type": "progress", "stage": _STAGES[stage], "percent": percent}
