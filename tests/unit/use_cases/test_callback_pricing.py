"""A callback's usage line without a cost is priced from the price table, before the
result is applied: the ledger and the day's spend see pounds either way."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from manyfutures.core.generation.callbacks import (
    GenerationCallback,
    GenerationGaveUp,
    ReportedUsage,
)
from manyfutures.core.shared.actor import Actor
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_callbacks import spent_today, started, written


def _ledger(harness: Harness) -> list[tuple[str, Decimal]]:
    with harness.uow() as uow:
        daily = uow.token_usage.daily(harness.clock.now().date())
    assert daily is not None
    return [(str(op), totals.cost_gbp) for op, totals in daily.operation_breakdown.items()]


def test_a_line_without_cost_is_priced_and_one_with_cost_keeps_it(
    harness: Harness, alice: Actor
) -> None:
    run_id, token = started(harness, alice)
    usage = (
        ReportedUsage("gpt-4o", 1_000_000, 500_000),  # £2.00 + £4.00
        ReportedUsage("gpt-4o-mini", 10_000, 0),  # £0.0012
        ReportedUsage("gpt-4o", 1, 1, Decimal("0.03")),  # its own cost, not the table's
    )
    harness.receive_callback(GenerationCallback(run_id, token, written(usage)))
    assert spent_today(harness) == Decimal("6.0312")


def test_an_unknown_model_is_priced_at_the_dearest_rates_and_logged(
    harness: Harness, alice: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    run_id, token = started(harness, alice)
    usage = (ReportedUsage("mystery-model", 1_000_000, 1_000_000),)
    with caplog.at_level(logging.WARNING, "manyfutures.core.generation.callbacks"):
        harness.receive_callback(
            GenerationCallback(run_id, token, GenerationGaveUp("boom", True, usage))
        )
    assert spent_today(harness) == Decimal("10.00")  # gpt-4o's £2 prompt + £8 completion
    assert f"run {run_id}: model 'mystery-model' has no price" in caplog.text
    assert _ledger(harness) == [("episode_generation", Decimal("10.00"))]
