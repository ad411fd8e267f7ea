"""Reports on one generation run are applied one after the other: its row is locked.

``runs.get_for_update`` holds the run until the unit of work ends (commit or
rollback), so a second unit of work asking for the same run waits and then reads what
the first wrote. Two callbacks for one run — a duplicate, or progress racing the
result — can then never interleave their reads and writes.
"""

from __future__ import annotations

import threading

from manyfutures.core.generation.run import RunStatus
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

GRACE = 0.3  # how long the other unit of work gets to (wrongly) go ahead


def open_runs(storage: Storage, *run_ids: str) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.queue.add(b.queue_item("queue_1", "proj_org_a", "ep_org_a"))
        for run_id in run_ids:
            uow.runs.add(b.generation_run(run_id, "ep_org_a", "queue_1"))
        uow.commit()


def test_a_locked_read_is_a_read(storage: Storage) -> None:
    open_runs(storage, "run_1")
    with storage.uow("org_a") as uow:
        run = uow.runs.get_for_update("run_1")
        assert run is not None
        assert run == uow.runs.get("run_1")
        assert uow.runs.get_for_update("run_1") == run  # again, in the same unit of work
        assert uow.runs.get_for_update("run_missing") is None


def test_a_second_reader_waits_for_the_first_and_sees_what_it_wrote(storage: Storage) -> None:
    open_runs(storage, "run_1")
    events: list[str] = []
    seen: list[RunStatus] = []

    def second() -> None:
        with storage.uow("org_a") as uow:
            run = uow.runs.get_for_update("run_1")
            assert run is not None
            events.append("second read")
            seen.append(run.status)

    with storage.uow("org_a") as first:
        run = first.runs.get_for_update("run_1")
        assert run is not None
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=GRACE)
        events.append("first wrote")
        run.finish(RunStatus.SUCCEEDED, T0)
        first.runs.update(run)
        first.commit()
    other.join(timeout=10)
    assert events == ["first wrote", "second read"]
    assert seen == [RunStatus.SUCCEEDED]


def test_ending_without_commit_releases_the_run_too(storage: Storage) -> None:
    open_runs(storage, "run_1")
    with storage.uow("org_a") as first:
        first.runs.get_for_update("run_1")
    with storage.uow("org_a") as second:
        assert second.runs.get_for_update("run_1") is not None


def test_another_run_is_not_held_up(storage: Storage) -> None:
    open_runs(storage, "run_1", "run_2")
    read: list[str] = []

    def other_run() -> None:
        with storage.uow("org_a") as uow:
            assert uow.runs.get_for_update("run_2") is not None
            read.append("run_2")

    with storage.uow("org_a") as first:
        first.runs.get_for_update("run_1")
        other = threading.Thread(target=other_run)
        other.start()
        other.join(timeout=10)
        assert read == ["run_2"]
