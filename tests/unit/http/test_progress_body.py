"""The fast progress check returns exactly what the callback schema loads, or steps aside."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from manyfutures.entrypoints.http.progress_body import well_formed_progress
from manyfutures.entrypoints.http.schemas import GenerationCallbackSchema

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 105),
    st.floats(-1, 101, allow_nan=False),
    st.sampled_from(["research", "writing", "review", "Research", "", "run_1", "progress"]),
    st.text(max_size=8),
)
_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "runId": st.one_of(
            st.sampled_from(["run_01HZX", "run_a", "run_", "Run_a", "run_a\n", "ep_1"]), _SCALARS
        ),
        "type": st.one_of(st.sampled_from(["progress", "completed", "failed"]), _SCALARS),
        "stage": st.one_of(st.sampled_from(["research", "writing", "review"]), _SCALARS),
        "percent": st.one_of(st.integers(-2, 102), _SCALARS),
        "title": _SCALARS,
        "error": _SCALARS,
    },
)


def _schema_load(data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = GenerationCallbackSchema().load(data)
    except ValidationError:
        return None
    return loaded


@settings(deadline=None)  # the first example builds the schema; the machine is shared
@given(_BODIES)
def test_whatever_it_accepts_the_schema_loads_identically(data: dict[str, Any]) -> None:
    quick = well_formed_progress(data)
    if quick is not None:
        assert quick == _schema_load(data)


@settings(deadline=None)
@given(
    st.from_regex(r"run_[0-9A-Za-z]{1,64}", fullmatch=True),
    st.sampled_from(["research", "writing", "review"]),
    st.integers(0, 100),
)
def test_it_takes_every_valid_progress_body(run_id: str, stage: str, percent: int) -> None:
    data = {"runId": run_id, "type": "progress", "stage": stage, "percent": percent}
    assert well_formed_progress(data) == _schema_load(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        {"runId": "run_a", "type": "progress", "stage": "research", "percent": 30.0},
        {"runId": "run_a", "type": "progress", "stage": "research", "percent": True},
        {"runId": "run_a", "type": "progress", "stage": "research", "percent": 101},
        {"runId": "run_a\n", "type": "progress", "stage": "research", "percent": 30},
        {"runId": "run_a", "type": "progress", "stage": "drafting", "percent": 30},
        {"runId": "run_a", "type": "progress", "stage": "research"},
        {"runId": "run_a", "type": "progress", "stage": "research", "percent": 3, "x": 1},
        {"runId": "run_a", "type": "completed", "stage": "research", "percent": 30},
    ],
)
def test_anything_else_is_left_to_the_schema(data: dict[str, Any]) -> None:
    assert well_formed_progress(data) is None
