"""Creating or resuming a project past the plan's active projects is refused, and the
limit holds when creates race."""

from __future__ import annotations

import threading

import pytest

from manyfutures.core.identity.set_plan import SetPlanCommand
from manyfutures.core.projects.plan_limit import ActiveProjectLimitError
from manyfutures.core.projects.use_cases import CreateProjectCommand, ProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import StateConflictError
from tests.support.racing import RacingUnitOfWork
from tests.unit.use_cases.conftest import Harness

RACERS = 8


def _plan(harness: Harness, most: int) -> None:
    harness.container.identity.set_plan()(SetPlanCommand("org_a", max_active_projects=most))


def _create(harness: Harness, actor: Actor, title: str = "Grid storage") -> str:
    return harness.create_project(CreateProjectCommand(actor, title, "brief")).id


def test_a_create_past_the_limit_is_refused_and_writes_nothing(
    harness: Harness, alice: Actor
) -> None:
    _plan(harness, 2)
    _create(harness, alice, "one")
    _create(harness, alice, "two")
    with harness.uow() as uow:
        before = (len(uow.projects.list(100)), len(uow.audit_log.list()))
    with pytest.raises(ActiveProjectLimitError) as refused:
        _create(harness, alice, "three")
    assert (refused.value.max_active_projects, refused.value.active_projects) == (2, 2)
    with harness.uow() as uow:
        assert (len(uow.projects.list(100)), len(uow.audit_log.list())) == before
        assert uow.projects.count_active() == 2


def test_paused_and_deleted_projects_make_room(harness: Harness, alice: Actor) -> None:
    _plan(harness, 1)
    first = _create(harness, alice, "one")
    harness.pause(ProjectCommand(alice, first))
    second = _create(harness, alice, "two")
    harness.delete(ProjectCommand(alice, second))
    assert _create(harness, alice, "three")


def test_a_resume_past_the_limit_is_refused(harness: Harness, alice: Actor) -> None:
    _plan(harness, 1)
    first = _create(harness, alice, "one")
    harness.pause(ProjectCommand(alice, first))
    active = _create(harness, alice, "two")
    with pytest.raises(ActiveProjectLimitError):
        harness.resume(ProjectCommand(alice, first))
    with pytest.raises(StateConflictError):  # not paused: a 409, whatever the count
        harness.resume(ProjectCommand(alice, active))
    harness.pause(ProjectCommand(alice, active))
    assert harness.resume(ProjectCommand(alice, first)).status.value == "ACTIVE"


def test_a_plan_of_none_allows_no_active_project(harness: Harness, alice: Actor) -> None:
    _plan(harness, 0)
    with pytest.raises(ActiveProjectLimitError) as refused:
        _create(harness, alice)
    assert (refused.value.max_active_projects, refused.value.active_projects) == (0, 0)


def test_racing_creates_at_the_limit_one_wins() -> None:
    """Eight threads through the production use case; the memory adapter's row lock is
    Postgres's FOR UPDATE (tests/integration/postgres/test_plan_race.py runs the same
    race against PostgreSQL)."""
    everyone = threading.Barrier(RACERS)
    harness = Harness(lambda real: lambda org: RacingUnitOfWork(real(org), everyone))
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    _plan(harness, 3)
    _create(harness, alice, "one")
    _create(harness, alice, "two")
    everyone.reset()  # the two creates above broke it
    start = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def create(n: int) -> None:
        start.wait(10)
        try:
            _create(harness, alice, f"racer {n}")
            outcomes.append("created")
        except ActiveProjectLimitError:
            outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["created"] + ["refused"] * (RACERS - 1)
    with harness.uow() as uow:
        assert uow.projects.count_active() == 3
