"""An organization's hot rows are taken last in the pipeline's two busiest transactions.

Every start job reserves on today's budget (``budget_days``) and every result settles
on it and adds to the usage ledger, whose trigger updates the day's aggregate row: one
row each per organization and day, which all of that organization's starts and results
queue for. A row lock lasts until the commit, so whatever a transaction does after
taking one, every other transaction of the organization waits for (the pipeline bench
sampled backends waiting on these locks in about a third of its samples). So the
payload's reads come before the reservation, and the publishing before the usage:
after the first hot row, only the cost gate's own steps and staged writes remain.
"""

from __future__ import annotations

from manyfutures.core.feedback.use_cases import AddPlanningNoteCommand
from manyfutures.core.generation.use_cases import ResultOutcome
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Role
from tests.support.recorded_calls import RecordingUnitOfWork
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import succeeded

HOT = ("budget_days.lock", "token_usage.add_for_run")
# The cost gate's own steps once a hot row is taken: the limit, the run's reservation.
GATE_STORES = ("budget_days", "cost_reservations", "token_usage", "organizations")
WRITES = ("add", "update", "insert")


def _after_first_hot_row(calls: list[str]) -> list[str]:
    first = min(calls.index(hot) for hot in HOT if hot in calls)
    return calls[first:]


def _not_gate_or_write(calls: list[str]) -> list[str]:
    return [
        call
        for call in calls
        if not call.startswith(GATE_STORES) and not call.rpartition(".")[2].startswith(WRITES)
    ]


def _harness(calls: list[str]) -> Harness:
    return Harness(lambda real: lambda org: RecordingUnitOfWork(real(org), calls))


def _due_project_with_a_note(harness: Harness) -> str:
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    project = harness.create_project(
        CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True)
    )
    harness.add_note(AddPlanningNoteCommand(alice, project.id, "More on storage"))
    harness.tick()
    return project.id


def test_a_start_job_reads_its_payload_before_it_reserves_on_todays_budget() -> None:
    calls: list[str] = []
    harness = _harness(calls)
    _due_project_with_a_note(harness)
    calls.clear()
    harness.run_dispatched()
    assert len(harness.generator.requests) == 1
    assert "budget_days.lock" in calls
    assert "planning_notes.list_for_update" in calls[: calls.index("budget_days.lock")]
    assert _not_gate_or_write(_after_first_hot_row(calls)) == []


def test_a_result_publishes_before_it_records_usage_and_settles_the_budget() -> None:
    calls: list[str] = []
    harness = _harness(calls)
    _due_project_with_a_note(harness)
    harness.run_dispatched()
    run_id = harness.generator.requests[-1].run_id
    calls.clear()
    assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
    before = calls[: calls.index("token_usage.add_for_run")]
    assert {"episodes.update", "blocks.add", "users.get"} <= set(before)
    assert _not_gate_or_write(_after_first_hot_row(calls)) == []
