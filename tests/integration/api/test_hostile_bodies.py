"""Hostile JSON in every writable field of every write endpoint, on PostgreSQL.

Each example takes a valid body for one endpoint (n8n's callback too), puts a generated
value in one of its fields (lone surrogates, NULs, huge and unrepresentable numbers,
nesting on both sides of the limit, wrong types) and then serializes it the way a
careless or hostile client might: a member name repeated, a byte order mark, UTF-16 or
UTF-32, unescaped surrogates. Whatever happens, the answer is a 2xx or a 4xx problem,
never a 5xx, and a 4xx stores nothing: every table's row count is unchanged.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from svix.webhooks import Webhook

from manyfutures.entrypoints.http.json_loader import MAX_JSON_DEPTH
from tests.integration.api.conftest import Deployment
from tests.support.clerk_payloads import event as clerk_event
from tests.support.clerk_payloads import membership_data, user_data
from tests.support.fakes import RecordingGenerator
from tests.unit.http.conftest import WEBHOOK_SECRET, create_project
from tests.unit.http.test_episodes import start_generation

pytestmark = pytest.mark.integration

EXAMPLES = 60
MESSAGE_IDS = itertools.count()


# --- JSON a client can write, including what no JSON encoder would -------------------


@dataclass(frozen=True)
class Raw:
    """A token written into the JSON text as is: 1e400, NaN, deep nesting."""

    text: str


@dataclass(frozen=True)
class Members:
    """An object as a list of members, so a name can appear twice."""

    pairs: tuple[tuple[str, Any], ...]


def render(value: Any, escape: bool = True) -> str:
    """JSON text; with ``escape`` off, characters (lone surrogates too) are written out
    rather than \\u-escaped, as a hand-rolled encoder might."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Members):
        inner = ", ".join(
            f"{json.dumps(name, ensure_ascii=escape)}: {render(item, escape)}"
            for name, item in value.pairs
        )
        return "{" + inner + "}"
    if isinstance(value, dict):
        return render(Members(tuple(value.items())), escape)
    if isinstance(value, list):
        return "[" + ", ".join(render(item, escape) for item in value) + "]"
    return json.dumps(value, ensure_ascii=escape)


def _nested(depth: int) -> Raw:
    return Raw("[" * depth + "1" + "]" * depth)


def _around(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``inner`` with ordinary text on either side."""
    return st.builds(lambda a, b, c: a + b + c, st.text(max_size=3), inner, st.text(max_size=3))


HOSTILE_TEXT = st.one_of(
    _around(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),  # a lone surrogate
    _around(st.just("\x00")),
    st.sampled_from(
        [
            "",
            " ",
            "\n",
            "50.00\n",
            "opened\n",
            "\ud83d\ude00",  # a proper pair: one emoji, valid
            "\u202e\ufeff\u200b",
            "x" * 10_001,
        ]
    ),
)
HOSTILE_NUMBER = st.one_of(
    st.sampled_from(
        [Raw(token) for token in ("1e400", "-1e400", "NaN", "Infinity", "-0", "1E+2", "0.1e-400")]
        + [Raw("9" * 5000), Raw("9" * 4000), 2.0, 2.5, -0.0, 1e308, 2**64, -(2**63)]
    ),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
DEEP = st.sampled_from([MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, 500, 1000]).map(
    _nested
)
HOSTILE_SCALAR = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER, DEEP, st.booleans(), st.none())
NAMES = st.one_of(st.sampled_from(["a", "title", "k", "\x00", "\ud800", ""]), st.text(max_size=4))
# Values some field accepts, so that writes succeed too and what they store is checked.
PLAUSIBLE = st.one_of(
    st.sampled_from(
        [
            *("weekly", "custom", "daily", "08:30", "Europe/Paris", "archived", "chat", "25.00"),
            *("share_clicked", {"mode": "custom", "days": [1, 3]}, ["chat", "highlights"]),
        ]
    ),
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40),
    st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)
HOSTILE_CONTAINER = st.recursive(
    st.one_of(HOSTILE_SCALAR, PLAUSIBLE),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.lists(st.tuples(NAMES, inner), min_size=1, max_size=3).map(
            lambda pairs: Members(tuple(pairs))
        ),
    ),
    max_leaves=5,
)
VALUES = st.one_of(PLAUSIBLE, HOSTILE_SCALAR, HOSTILE_CONTAINER)

# How the text becomes bytes: what a misconfigured client or a hostile one sends. UTF-8
# comes up as often as all the others together.
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda text: text.encode("utf-8", "surrogatepass"),
    "bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass"),
    "two-boms": lambda text: b"\xef\xbb\xbf" * 2 + text.encode("utf-8", "surrogatepass"),
    "utf-16": lambda text: text.encode("utf-16", "surrogatepass"),
    "utf-32-le": lambda text: text.encode("utf-32-le", "surrogatepass"),
    "latin-1": lambda text: text.encode("latin-1", "replace"),
}


def _place(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at ``path`` (objects created along the way)."""
    if len(path) == 1:
        return {**body, path[0]: value}
    inner = body.get(path[0])
    return {**body, path[0]: _place(inner if isinstance(inner, dict) else {}, path[1:], value)}


def hostile_body(
    base: dict[str, Any], path: tuple[str, ...], value: Any, repeat: bool, escape: bool
) -> str:
    body = _place(base, path, value)
    pairs = tuple(body.items())
    if repeat:  # the field's name a second time, holding the valid value
        pairs = (*pairs, (path[0], base.get(path[0], "again")))
    return render(Members(pairs), escape)


def _draw_body(data: st.DataObject, base: dict[str, Any], paths: Any) -> bytes:
    path = data.draw(st.sampled_from(paths), label="field")
    value = data.draw(VALUES, label="value")
    repeat = data.draw(st.integers(0, 4), label="repeat the name") == 4  # 0 comes up most
    escape = data.draw(st.booleans(), label="escape non-ASCII")
    encoding = data.draw(st.sampled_from(["utf-8"] * 5 + sorted(ENCODINGS)), label="encoding")
    return ENCODINGS[encoding](hostile_body(base, path, value, repeat, escape))


# --- The endpoints and their fields -------------------------------------------------


@dataclass(frozen=True)
class Target:
    method: str
    path: Callable[[dict[str, str]], str]
    base: dict[str, Any]
    fields: tuple[tuple[str, ...], ...]


PROJECT_BASE = {
    "title": "Energy",
    "brief": "Grid storage",
    "cadence": {"mode": "weekly", "days": [2]},
    "deliveryTime": "08:30",
    "timezone": "Europe/Paris",
}
PROJECT_FIELDS = (
    ("title",),
    ("brief",),
    ("cadence",),
    ("cadence", "mode"),
    ("cadence", "days"),
    ("deliveryTime",),
    ("timezone",),
    ("unknownField",),
)
TARGETS = {
    "create-project": Target("POST", lambda ids: "/v1/projects", PROJECT_BASE, PROJECT_FIELDS),
    "update-project": Target(
        "PATCH", lambda ids: f"/v1/projects/{ids['project']}", PROJECT_BASE, PROJECT_FIELDS
    ),
    "add-note": Target(
        "POST",
        lambda ids: f"/v1/projects/{ids['project']}/planning-notes",
        {"note": "More on storage"},
        (("note",), ("extra",)),
    ),
    "archive-note": Target(
        "PATCH",
        lambda ids: f"/v1/planning-notes/{ids['note']}",
        {"status": "archived"},
        (("status",),),
    ),
    "edit-note": Target(
        "PATCH",
        lambda ids: f"/v1/planning-notes/{ids['note']}",
        {"note": "Less on storage"},
        (("note",), ("status",)),
    ),
    "track-event": Target(
        "POST",
        lambda ids: "/v1/events",
        {"eventType": "share_clicked", "eventData": {"episodeId": "ep_1"}},
        (("eventType",), ("eventData",), ("eventData", "episodeId"), ("eventData", "nested")),
    ),
    "update-organization": Target(
        "PATCH",
        lambda ids: "/v1/organization",
        {"dailyCostLimitGbp": "25.00", "enabledFeatures": ["chat"], "experimentalFeatures": []},
        (("dailyCostLimitGbp",), ("enabledFeatures",), ("experimentalFeatures",)),
    ),
}


@pytest.fixture
def seeded(postgres: Deployment) -> tuple[Deployment, dict[str, str]]:
    project = create_project(postgres.api)
    note = postgres.api.post(
        f"/v1/projects/{project['id']}/planning-notes", json={"note": "seed"}
    ).get_json()
    return postgres, {"project": project["id"], "note": note["id"]}


def check(deployment: Deployment, response: Any, before: dict[str, int]) -> None:
    status = response.status_code
    event(f"{status} {response.get_json().get('type', '') if status >= 400 else ''}")
    assert status < 500, response.get_data(as_text=True)[:500]
    if 200 <= status < 300:
        return
    assert 400 <= status < 500, status
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)[:300]
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    assert deployment.row_counts() == before, problem


@pytest.mark.parametrize("name", TARGETS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_values_in_any_field_are_refused_cleanly_or_stored_whole(
    seeded: tuple[Deployment, dict[str, str]], name: str, data: st.DataObject
) -> None:
    deployment, ids = seeded
    target = TARGETS[name]
    raw = _draw_body(data, target.base, target.fields)
    before = deployment.row_counts()
    response = deployment.api.request(
        target.method, target.path(ids), data=raw, content_type="application/json"
    )
    check(deployment, response, before)
    if response.status_code < 300 and name.endswith("project"):
        # What was stored reads back from PostgreSQL.
        project_id = response.get_json()["id"]
        assert deployment.api.get(f"/v1/projects/{project_id}").status_code == 200


WEBHOOK_FIELDS: dict[str, tuple[Callable[[], dict[str, Any]], tuple[tuple[str, ...], ...]]] = {
    "user.created": (
        lambda: clerk_event("user.created", user_data(id="user_fuzz")),
        (
            ("data", "first_name"),
            ("data", "last_name"),
            ("data", "username"),
            ("data", "email_addresses"),
            ("data", "public_metadata"),
            ("data", "id"),
            ("type",),
        ),
    ),
    "organizationMembership.created": (
        lambda: clerk_event("organizationMembership.created", membership_data()),
        (
            ("data", "role"),
            ("data", "organization"),
            ("data", "public_user_data"),
            ("data",),
        ),
    ),
}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_clerk_webhooks_are_refused_cleanly_or_applied_whole(
    postgres: Deployment, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(sorted(WEBHOOK_FIELDS)), label="event")
    make, paths = WEBHOOK_FIELDS[kind]
    raw = _draw_body(data, make(), paths)
    message = f"msg_{next(MESSAGE_IDS)}"  # a new delivery each time, never a redelivery
    now = datetime.now(UTC)
    try:
        # svix signs text; a body that is not UTF-8 cannot be signed, and is a 401.
        signature = Webhook(WEBHOOK_SECRET).sign(message, now, raw.decode("utf-8"))
    except UnicodeDecodeError:
        signature = "v1,bm90IHNpZ25lZA=="
    before = postgres.row_counts()
    response = postgres.api.client.post(
        "/webhooks/clerk",
        data=raw,
        content_type="application/json",
        headers={
            "svix-id": message,
            "svix-timestamp": str(int(now.timestamp())),
            "svix-signature": signature,
        },
    )
    check(postgres, response, before)


CALLBACK_USAGE = [{"model": "gpt-4o", "promptTokens": 10, "completionTokens": 5, "costGbp": "0.01"}]
CALLBACK_FIELDS: dict[str, tuple[dict[str, Any], tuple[tuple[str, ...], ...]]] = {
    "progress": (
        {"type": "progress", "stage": "writing", "percent": 40},
        (("stage",), ("percent",), ("type",), ("runId",), ("title",)),
    ),
    "completed": (
        {
            "type": "completed",
            "title": "Grid week",
            "summary": "Storage",
            "content": "# Grid\n\nwords",
            "sources": [{"title": "IEA", "url": "https://example.org/iea"}],
            "confidence": 0.5,
            "tokenUsage": CALLBACK_USAGE,
        },
        (
            ("title",),
            ("summary",),
            ("content",),
            ("sources",),
            ("reasoning",),
            ("confidence",),
            ("tokenUsage",),
            ("stage",),
            ("extra",),
        ),
    ),
    "failed": (
        {"type": "failed", "error": "Writer timed out", "retryable": True},
        (("error",), ("retryable",), ("tokenUsage",), ("percent",)),
    ),
}


@pytest.fixture
def running(postgres: Deployment) -> tuple[Deployment, str, str]:
    """A generation started on PostgreSQL: its run id and callback token."""
    generator = RecordingGenerator()
    postgres.container.generation.generator.override(providers.Object(generator))
    project = create_project(postgres.api)
    postgres.api.post(f"/v1/projects/{project['id']}/episodes")
    run_id = start_generation(postgres.container, generator)
    return postgres, run_id, generator.requests[-1].callback_token


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_n8n_callbacks_are_refused_cleanly_or_applied_whole(
    running: tuple[Deployment, str, str], data: st.DataObject
) -> None:
    deployment, run_id, token = running
    kind = data.draw(st.sampled_from(sorted(CALLBACK_FIELDS)), label="callback")
    base, paths = CALLBACK_FIELDS[kind]
    raw = _draw_body(data, {"runId": run_id, **base}, paths)
    before = deployment.row_counts()
    response = deployment.api.client.post(
        "/webhooks/n8n/episodes",
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    check(deployment, response, before)
