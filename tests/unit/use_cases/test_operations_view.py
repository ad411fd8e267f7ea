"""The operations view's use cases over the production container: the admin's of their
own organization, the operators' across organizations, and who may see which."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.episodes.episode import GenerationStage
from manyfutures.core.generation.use_cases import (
    EpisodeCommand,
    ProgressReport,
    RequestEpisodeCommand,
)
from manyfutures.core.operations.model import format_age, parse_operators
from manyfutures.core.operations.use_cases import OperationsQuery
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.settings import Settings
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_retry_failed import fail_one


def test_an_admin_sees_runs_in_flight_with_their_age_and_failures_to_retry(
    harness: Harness, alice: Actor, bob: Actor
) -> None:
    get_operations = harness.container.operations.get_operations()
    energy = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    harness.create_project(CreateProjectCommand(bob, "Water", "Rivers"))
    failed = fail_one(harness, alice, energy.id)
    harness.clock.advance(timedelta(minutes=1))
    harness.request_now(RequestEpisodeCommand(alice, energy.id))
    harness.tick()
    harness.run_dispatched()
    harness.clock.advance(timedelta(minutes=3))

    view = get_operations(OperationsQuery(alice))

    (run,) = view.snapshot.runs
    assert (run.project_title, run.stage, run.percent) == ("Energy", GenerationStage.RESEARCH, 0)
    assert view.age(run.started_at) == timedelta(minutes=3)
    assert [(f.episode_id, f.last_error) for f in view.snapshot.failed] == [
        (failed, "n8n webhook answered 503")
    ]
    assert view.queue_counts()[QueueStatus.PROCESSING] == 1
    assert view.organizations() == ["org_a"]  # bob's organization is not in it

    harness.retry_episode(EpisodeCommand(alice, failed))
    assert get_operations(OperationsQuery(alice)).snapshot.failed == []


def test_a_member_gets_no_operations_view(harness: Harness) -> None:
    carol = harness.member("org_a", "user_carol", Role.MEMBER)
    with pytest.raises(PermissionDeniedError):
        harness.container.operations.get_operations()(OperationsQuery(carol))


def _with_operators(user_ids: str) -> Harness:
    return Harness(settings=Settings(operator_users=user_ids))


def test_only_configured_operators_see_every_organization() -> None:
    harness = _with_operators("user_ops, user_other")
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    bob = harness.member("org_b", "user_bob", Role.ADMIN)
    for actor, title in ((alice, "Energy"), (bob, "Water")):
        project = harness.create_project(CreateProjectCommand(actor, title, "Brief"))
        harness.request_now(RequestEpisodeCommand(actor, project.id))
    harness.tick()
    harness.run_dispatched()
    across = harness.container.operations.get_operations_across_organizations()

    with pytest.raises(PermissionDeniedError):
        across(alice.user_id)  # an admin of an organization is no operator
    view = across("user_ops")
    assert view.organizations() == ["org_a", "org_b"]
    assert sorted(r.project_title for r in view.snapshot.runs) == ["Energy", "Water"]
    assert view.queue_counts()[QueueStatus.PROCESSING] == 2
    assert view.queue_counts("org_b")[QueueStatus.PROCESSING] == 1


def test_nobody_is_an_operator_by_default(harness: Harness) -> None:
    across = harness.container.operations.get_operations_across_organizations()
    for user in ("user_alice", "", "admin"):
        with pytest.raises(PermissionDeniedError):
            across(user)


def test_the_operator_list_is_read_from_the_setting() -> None:
    assert _with_operators("user_ops").container.operations.operators().includes("user_ops")
    assert not Harness().container.operations.operators().includes("user_ops")


_ID = st.text(st.characters(categories=("L", "N"), include_characters="_-"), min_size=1)


@given(st.lists(_ID, max_size=5), st.lists(st.sampled_from(["", " ", "  "]), max_size=5))
def test_operators_are_the_comma_separated_ids_blanks_ignored(
    ids: list[str], blanks: list[str]
) -> None:
    raw = ",".join([f" {user_id} " for user_id in ids] + blanks)
    assert parse_operators(raw) == frozenset(ids)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h 00m"), (90_000, "1d 1h")],
)
def test_ages_are_shown_as_precisely_as_a_glance_needs(seconds: int, shown: str) -> None:
    assert format_age(timedelta(seconds=seconds)) == shown


def test_a_stage_reported_shows_in_the_view(harness: Harness, alice: Actor) -> None:
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    harness.request_now(RequestEpisodeCommand(alice, project.id))
    harness.tick()
    harness.run_dispatched()
    run_id = harness.generator.requests[-1].run_id
    harness.report_progress(ProgressReport("org_a", run_id, GenerationStage.WRITING, 40))
    (run,) = harness.container.operations.get_operations()(OperationsQuery(alice)).snapshot.runs
    assert (run.stage, run.percent) == (GenerationStage.WRITING, 40)


def test_the_admins_usage_is_today_against_the_limit_and_thirty_days(
    harness: Harness, alice: Actor
) -> None:
    project = harness.create_project(CreateProjectCommand(alice, "Energy", "Grid"))
    harness.request_now(RequestEpisodeCommand(alice, project.id))
    harness.tick()
    harness.run_dispatched()
    overview = harness.container.operations.get_usage_overview()

    usage = overview(alice)

    assert usage.today.reserved_gbp == Decimal("1.50")  # the run's maximum, reserved
    assert usage.today.limit_gbp == Decimal("50")
    assert len(usage.days) == 30
    assert usage.days[-1].day == usage.today.day
    assert usage.days[0].day == usage.today.day - timedelta(days=29)
    with pytest.raises(PermissionDeniedError):
        overview(harness.member("org_a", "user_carol", Role.MEMBER))
