"""`manyfutures orgs set-plan`: the operator sets an organization's plan in PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.entrypoints.cli import main
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.container import UNSUBSCRIBE_SECRET

pytestmark = pytest.mark.integration


@pytest.fixture
def operator(db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> PostgresUnitOfWorkFactory:
    monkeypatch.setenv("MANYFUTURES_STORAGE", "postgres")
    monkeypatch.setenv("MANYFUTURES_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    monkeypatch.setenv("MANYFUTURES_ALLOW_DEV_AUTH", "true")
    monkeypatch.setenv("MANYFUTURES_APP_DATABASE_URL", db.app_url.render_as_string(False))
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a", daily_cost_limit_gbp=Decimal("300.00")))
        uow.commit()
    return factory


def test_set_plan_writes_the_overrides_lowers_the_limit_and_audits(
    operator: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["orgs", "set-plan", "org_a", "--max-active-projects", "25"]
    assert main([*argv, "--daily-limit-ceiling-gbp", "200"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "organizationId": "org_a",
        "maxActiveProjects": 25,
        "dailyLimitCeilingGbp": "200.00",
        "dailyCostLimitGbp": "200.00",
        "overrides": {"maxActiveProjects": 25, "dailyLimitCeilingGbp": "200.00"},
        "changed": True,
    }
    with operator("org_a") as uow:
        stored = uow.organizations.get()
        actions = [row.action for row in uow.audit_log.list()]
    assert stored is not None
    assert (stored.max_active_projects, stored.daily_limit_ceiling_gbp) == (25, Decimal("200"))
    assert stored.daily_cost_limit_gbp == Decimal("200.00")
    assert sorted(actions) == ["organization.plan", "organization.update"]

    assert main(["orgs", "set-plan", "org_a", "--default"]) == 0
    back = json.loads(capsys.readouterr().out)
    assert (back["maxActiveProjects"], back["dailyLimitCeilingGbp"]) == (10, "500.00")
    assert back["overrides"] == {"maxActiveProjects": None, "dailyLimitCeilingGbp": None}
    assert back["dailyCostLimitGbp"] == "200.00"  # a higher ceiling never raises the limit


@pytest.mark.parametrize(
    ("argv", "status", "complaint"),
    [
        (["org_a"], 2, "nothing to set"),
        (["org_a", "--max-active-projects", "-1"], 2, "between 0 and"),
        (["org_a", "--daily-limit-ceiling-gbp", "1.234"], 2, "at most two decimal places"),
        (["org_nobody", "--default"], 1, "organization 'org_nobody' was not found"),
    ],
)
def test_set_plan_refuses_and_says_why(
    operator: PostgresUnitOfWorkFactory,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    complaint: str,
) -> None:
    assert main(["orgs", "set-plan", *argv]) == status
    assert complaint in capsys.readouterr().err
    with operator("org_a") as uow:
        assert uow.audit_log.list() == []
