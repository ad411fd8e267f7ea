"""Request schemas accept exactly what the OpenAPI document says, and nothing near it.

The agreement tests read each field's schema out of ``/openapi.json`` and judge values
with an ECMA-262 validator (``jsonschema_rs``), as a client or schemathesis reads the
document, then send the same values: the document's verdict and the server's must be
the same for every value, valid or not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyfutures.container import Container
from manyfutures.core.identity.set_plan import SetPlanCommand
from tests.unit.http.conftest import Api, assert_problem, create_project


@pytest.fixture(autouse=True)
def ceiling_at_the_cap(container: Container) -> None:
    """The plan's ceiling is a rule of its own (test_plans.py); here it is the cap, so only
    the document's rules decide."""
    container.identity.set_plan()(SetPlanCommand("org_a", daily_limit_ceiling_gbp="100000.00"))


def _sent(api: Api, method: str, path: str, body: dict[str, Any]) -> Any:
    return api.request(method, path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("days", [[1.5], [2.9], ["1"], [True], [None], [[1]], [1e300]])
def test_days_are_integers_only(api: Api, days: list[Any]) -> None:
    cadence = {"mode": "weekly", "days": days}
    created = _sent(api, "POST", "/v1/projects", {"title": "t", "brief": "b", "cadence": cadence})
    assert "cadence.days.0" in assert_problem(created, 422, "validation-error")["errors"]
    project = create_project(api)
    patched = _sent(api, "PATCH", f"/v1/projects/{project['id']}", {"cadence": cadence})
    assert "cadence.days.0" in assert_problem(patched, 422, "validation-error")["errors"]
    assert api.get(f"/v1/projects/{project['id']}").get_json()["cadence"]["days"] == [1]


def test_a_number_with_no_fraction_is_the_integer_json_schema_says_it_is(api: Api) -> None:
    """JSON has one number type: 2.0 is the integer 2 to every JSON Schema validator."""
    body = {"title": "t", "brief": "b", "cadence": {"mode": "custom", "days": [2.0, 4]}}
    created = _sent(api, "POST", "/v1/projects", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["cadence"]["days"] == [2, 4]


@pytest.mark.parametrize(
    "value",
    [
        "50.00\n",
        "50\n",
        "100000.01",
        "100001",
        "999999.99",
        "1e3",
        " 50",
        "50.",
        "-1",
        "\u0665\u0660",
    ],
)
def test_the_cost_limit_refuses_anything_but_a_plain_amount_up_to_the_cap(
    api: Api, value: str
) -> None:
    before = api.get("/v1/organization").get_json()
    response = _sent(api, "PATCH", "/v1/organization", {"dailyCostLimitGbp": value})
    assert "dailyCostLimitGbp" in assert_problem(response, 422, "validation-error")["errors"]
    assert api.get("/v1/organization").get_json() == before


@pytest.mark.parametrize("value", ["0", "0.5", "50.00", "99999.99", "100000", "100000.00"])
def test_the_cost_limit_accepts_amounts_up_to_the_cap(api: Api, value: str) -> None:
    response = _sent(api, "PATCH", "/v1/organization", {"dailyCostLimitGbp": value})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/events", {"eventType": "opened\n"}, "eventType"),
        ("POST", "/v1/projects", {"title": "t", "brief": "b", "deliveryTime": "08:30\n"}, None),
    ],
)
def test_a_trailing_newline_never_passes_a_pattern(
    api: Api, method: str, path: str, body: dict[str, Any], field: str | None
) -> None:
    response = _sent(api, method, path, body)
    errors = assert_problem(response, 422, "validation-error")["errors"]
    assert (field or "deliveryTime") in errors


# --- The document and the server agree ------------------------------------------------


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    spec: dict[str, Any] = api.client.get("/openapi.json").get_json()
    return spec


def _field_schema(document: dict[str, Any], component: str, *path: str) -> dict[str, Any]:
    """A property's schema inside a component, following $refs, as a standalone schema."""
    schema = document["components"]["schemas"][component]
    for name in path:
        schema = schema["properties"][name]
        while "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {**schema, "components": document["components"]}


# Values near and far from every rule: the strategies deliberately straddle each bound.
# Lone surrogates are left to the loader's own tests: they have no form a validator reads.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
DIGITS = st.text(st.sampled_from("0123456789"), min_size=1, max_size=7)
MONEY_LIKE = st.one_of(
    st.builds(lambda w, f: f"{w}.{f}", DIGITS, st.text(st.sampled_from("0123456789"), max_size=3)),
    DIGITS,
    st.builds(lambda v, s: v + s, DIGITS, st.sampled_from(["\n", " ", ".", "\r\n", "\t", "x"])),
    st.decimals(min_value=-1, max_value=200_000, places=2).map(str),
    TEXT,
)
TIME_LIKE = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 70)),
    st.builds(
        lambda h, m, s: f"{h}:{m:02d}{s}",
        st.integers(0, 25),
        st.integers(0, 60),
        st.sampled_from(["", "\n", ":00", " "]),
    ),
    TEXT,
)
EVENT_TYPE_LIKE = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,66}", fullmatch=True),
    st.builds(
        lambda v, s: v + s,
        st.from_regex(r"[a-z]{3,8}", fullmatch=True),
        st.sampled_from(["\n", "-", "A", " "]),
    ),
    TEXT,
)
DAY_LIKE = st.one_of(
    st.integers(-3, 10),
    st.floats(-2, 9, allow_nan=False),
    st.sampled_from([0.0, 6.0, 7.0, -0.0, 1e300]),
    TEXT,
    st.booleans(),
    st.none(),
)

Case = tuple[str, Callable[[Any], tuple[str, str, dict[str, Any]]], str, tuple[str, ...], Any, str]
AGREEMENT: list[Case] = [
    (
        "dailyCostLimitGbp",
        lambda v: ("PATCH", "/v1/organization", {"dailyCostLimitGbp": v}),
        "OrganizationUpdate",
        ("dailyCostLimitGbp",),
        MONEY_LIKE,
        "dailyCostLimitGbp",
    ),
    (
        "deliveryTime",
        lambda v: ("POST", "/v1/projects", {"title": "t", "brief": "b", "deliveryTime": v}),
        "ProjectCreate",
        ("deliveryTime",),
        TIME_LIKE,
        "deliveryTime",
    ),
    (
        "eventType",
        lambda v: ("POST", "/v1/events", {"eventType": v}),
        "EventCreate",
        ("eventType",),
        EVENT_TYPE_LIKE,
        "eventType",
    ),
    (
        "cadence.days",
        lambda v: (
            "POST",
            "/v1/projects",
            {"title": "t", "brief": "b", "cadence": {"mode": "weekly", "days": [v]}},
        ),
        "ProjectCreate",
        ("cadence", "days"),
        DAY_LIKE,
        "cadence.days",
    ),
]


@pytest.mark.parametrize(
    ("build", "component", "path", "values", "field"),
    [case[1:] for case in AGREEMENT],
    ids=[case[0] for case in AGREEMENT],
)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_document_and_the_server_agree_on_every_value(
    api: Api,
    document: dict[str, Any],
    build: Callable[[Any], tuple[str, str, dict[str, Any]]],
    component: str,
    path: tuple[str, ...],
    values: Any,
    field: str,
    data: st.DataObject,
) -> None:
    value = data.draw(values)
    method, target, body = build(value)
    schema = _field_schema(document, component, *path)
    documented = jsonschema_rs.validator_for(schema).is_valid(
        [value] if path[-1] == "days" else value
    )
    response = _sent(api, method, target, body)
    errors = response.get_json().get("errors", {}) if response.status_code == 422 else {}
    refused = any(
        name == field or name.startswith(f"{field}.") or name == path[-1] for name in errors
    )
    assert response.status_code < 500
    assert documented == (not refused), (value, response.status_code, errors)
