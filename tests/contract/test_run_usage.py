"""A generation run's usage is recorded once, whoever reports it and however often.

n8n may call back twice (a retried HTTP request), late (after a retry superseded its
run) or concurrently; the money it reports must land in the ledger exactly once, on
both adapters.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from manyfutures.core.costs.model import TokenUsage
from manyfutures.core.shared.errors import DuplicateError
from manyfutures.core.storage import StorageUnitOfWork
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0


def report(run_id: str, *costs: str) -> list[TokenUsage]:
    return [
        b.usage(f"usage_{run_id}_{n}", cost=cost, run_id=run_id) for n, cost in enumerate(costs)
    ]


def spent(storage: Storage) -> Decimal:
    with storage.uow("org_a") as uow:
        daily = uow.token_usage.daily(T0.date())
        return daily.total_cost_gbp if daily is not None else Decimal("0")


def test_the_first_report_is_recorded_and_a_second_one_is_not(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1", "0.10", "0.20")) is True
        assert uow.token_usage.add_for_run("run_1", report("run_1x", "5.00")) is False
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1y", "7.00")) is False
        uow.commit()
    assert spent(storage) == Decimal("0.30")


def test_each_run_is_its_own_key(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1", "0.10"))
        assert uow.token_usage.add_for_run("run_2", report("run_2", "0.20"))
        uow.commit()
    assert spent(storage) == Decimal("0.30")


def test_an_empty_report_counts_as_the_runs_report(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", []) is True
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1", "0.10")) is False
    assert spent(storage) == 0


def test_a_report_rolled_back_leaves_the_run_unrecorded(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1", "0.10"))
        uow.rollback()
        assert uow.token_usage.add_for_run("run_1", report("run_1b", "0.20"))
        uow.commit()
    assert spent(storage) == Decimal("0.20")


def test_a_unit_of_work_opened_earlier_sees_the_report_committed_since(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as late, storage.uow("org_a") as first:
        assert late.runs.get("run_1") is None  # late has started reading
        assert first.token_usage.add_for_run("run_1", report("run_1", "0.10"))
        first.commit()
        assert late.token_usage.add_for_run("run_1", report("run_1b", "0.40")) is False
        late.commit()
    assert spent(storage) == Decimal("0.10")


def test_of_two_racing_reports_exactly_one_is_recorded(storage: Storage) -> None:
    """Whatever the interleaving, one report is kept and the other is declined (False;
    PostgreSQL makes it wait for the first to commit) or refused at commit (memory)."""
    seed(storage)
    outcomes: dict[str, str] = {}

    def settle(name: str, uow: StorageUnitOfWork, cost: str) -> None:
        try:
            recorded = uow.token_usage.add_for_run("run_1", report(f"run_1{name}", cost))
            uow.commit()
            outcomes[name] = "recorded" if recorded else "declined"
        except DuplicateError:
            outcomes[name] = "refused"

    about_to_report = threading.Event()

    def second_reporter() -> None:
        with storage.uow("org_a") as second:
            about_to_report.set()
            settle("b", second, "0.40")

    with storage.uow("org_a") as first:
        assert first.token_usage.add_for_run("run_1", report("run_1a", "0.10"))
        racer = threading.Thread(target=second_reporter)
        racer.start()
        assert about_to_report.wait(timeout=10)
        try:
            first.commit()
            outcomes["a"] = "recorded"
        except DuplicateError:
            outcomes["a"] = "refused"
    racer.join(timeout=10)
    assert not racer.is_alive()
    assert sorted(outcomes.values()) in (["declined", "recorded"], ["recorded", "refused"])
    winner = "a" if outcomes["a"] == "recorded" else "b"
    assert spent(storage) == Decimal({"a": "0.10", "b": "0.40"}[winner])


@pytest.mark.parametrize("org", ["org_b"])
def test_another_organization_cannot_see_or_claim_a_report_by_its_run(
    storage: Storage, org: str
) -> None:
    """Keys are per organization; RLS keeps each organization's ledger its own."""
    seed(storage, "org_a", org)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.add_for_run("run_1", report("run_1", "0.10"))
        uow.commit()
    with storage.uow(org) as uow:
        rows = [b.usage("usage_b", org=org, cost="0.30", run_id="run_1")]
        assert uow.token_usage.add_for_run("run_1", rows) is True
        uow.commit()
    assert spent(storage) == Decimal("0.10")
