"""GET /v1/usage: the organization's spend per UTC day, for members, at most 92 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manyfutures.container import Container
from manyfutures.core.costs.model import Operation, TokenUsage
from tests.support import builders as b
from tests.support.builders import T0
from tests.unit.http.conftest import Api, assert_problem

DAY = timedelta(days=1)


def _spend(container: Container, org: str, *usage: TokenUsage) -> None:
    with container.adapters.uow_factory()(org) as uow:
        for row in usage:
            uow.token_usage.add(row)
        uow.commit()


def test_a_member_reads_one_row_per_utc_day(api: Api, member: Api, container: Container) -> None:
    day = T0.date()
    _spend(
        container,
        "org_a",
        b.usage("usage_1", at=T0, cost="0.0345", tokens=(1000, 200)),
        b.usage("usage_2", at=T0 + timedelta(hours=1), cost="0.50", tokens=(3000, 1000)),
        b.usage(
            "usage_3", episode_id=None, operation=Operation.CHAT, at=T0, cost="0.01", tokens=(5, 5)
        ),
        b.usage("usage_4", at=T0 + 2 * DAY, episode_id="ep_2", cost="1"),
    )
    _spend(container, "org_b", b.usage("usage_b", org="org_b", at=T0, cost="9.99"))
    response = member.get(f"/v1/usage?from={day}&to={day + 2 * DAY}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"]) == (day.isoformat(), (day + 2 * DAY).isoformat())
    assert body["days"] == [
        {
            "date": day.isoformat(),
            "spentGbp": "0.5445",
            "tokens": 5210,
            "episodes": 1,
            "operations": [
                {"operation": "chat", "tokens": 10, "costGbp": "0.01"},
                {"operation": "episode_generation", "tokens": 5200, "costGbp": "0.5345"},
            ],
            "hourlyPeak": 4000,
            "peakHour": T0.hour + 1,
        },
        {
            "date": (day + DAY).isoformat(),
            "spentGbp": "0.00",
            "tokens": 0,
            "episodes": 0,
            "operations": [],
            "hourlyPeak": 0,
            "peakHour": None,
        },
        {
            "date": (day + 2 * DAY).isoformat(),
            "spentGbp": "1.00",
            "tokens": 150,
            "episodes": 1,
            "operations": [{"operation": "episode_generation", "tokens": 150, "costGbp": "1.00"}],
            "hourlyPeak": 150,
            "peakHour": T0.hour,
        },
    ]
    assert api.get(f"/v1/usage?from={day}&to={day}").get_json()["days"][0]["spentGbp"] == ("0.5445")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-01-01&to=2026-04-03", "to"),  # 93 days
        ("from=2026-01-05&to=2026-01-04", "from"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=yesterday&to=2026-03-01", "from"),
        ("from=2026-01-01", "to"),
        ("to=2026-01-01", "from"),
        ("from=2026-01-01&to=2026-01-02&limit=5", "limit"),
    ],
)
def test_a_bad_range_is_422_naming_the_field(member: Api, query: str, field: str) -> None:
    errors = assert_problem(member.get(f"/v1/usage?{query}"), 422, "validation-error")["errors"]
    assert field in errors, errors


def test_ninety_two_days_are_answered(member: Api) -> None:
    days = member.get("/v1/usage?from=2026-01-01&to=2026-04-02").get_json()["days"]
    assert len(days) == 92


def test_the_usage_route_is_in_the_openapi_document(api: Api) -> None:
    spec = api.client.get("/openapi.json").get_json()
    operation = spec["paths"]["/v1/usage"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}
    assert "DailyUsage" in spec["components"]["schemas"]
    assert "422" in operation["responses"]
