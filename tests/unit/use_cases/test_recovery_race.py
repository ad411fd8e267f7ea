"""Recovery of a lost job racing that job's late start (found by bench/chaos.py).

On its final attempt an item's start lease runs out while its job still waits for a
worker; the scheduler finds it abandoned, but before recovery fails it the job starts
after all and opens its run. Recovery must decide on the item as it is once it holds
it, not as it read it: otherwise it failed the episode over the open run, the run kept
its reservation for good, and the run's result was refused (409, FAILED to PUBLISHED)
however often n8n sent it.
"""

from __future__ import annotations

import threading
from typing import Any

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import ResultOutcome, StartGenerationCommand
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Role
from tests.support.wrapped import Wrapped, WrappedUnitOfWork
from tests.unit.use_cases.conftest import START_LEASE, Harness
from tests.unit.use_cases.test_generation_pipeline import queue_item_for, succeeded


class _Gate:
    def __init__(self) -> None:
        self.armed_thread: int | None = None
        self.reached, self.go_on = threading.Event(), threading.Event()

    def pause_here(self) -> None:
        if threading.get_ident() == self.armed_thread:
            self.armed_thread = None
            self.reached.set()
            assert self.go_on.wait(10)


class _PausingQueue(Wrapped):
    """In the armed thread, stops right after the first read of an item: recovery caught
    between finding the lapsed lease and acting on it."""

    def __init__(self, inner: Any, gate: _Gate) -> None:
        super().__init__(inner)
        self._gate = gate

    def get(self, item_id: str) -> Any:
        item = self._inner.get(item_id)
        self._gate.pause_here()
        return item


class _PausingUnitOfWork(WrappedUnitOfWork):
    def __init__(self, inner: Any, gate: _Gate) -> None:
        super().__init__(inner)
        self.queue = _PausingQueue(inner.queue, gate)


def test_a_job_that_opened_its_run_while_recovery_looked_keeps_it() -> None:
    gate = _Gate()
    harness = Harness(lambda real: lambda org: _PausingUnitOfWork(real(org), gate))
    alice = harness.member("org_a", "user_alice", Role.ADMIN)
    harness.create_project(CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True))
    for _ in range(3):  # three claims whose jobs never ran: the third is the final attempt
        assert harness.tick().items_dispatched == 1
        harness.clock.advance(START_LEASE)
    (item,) = harness.dispatcher.dispatched[-1:]
    assert item.attempt_count == 3

    def recover() -> None:
        gate.armed_thread = threading.get_ident()
        harness.tick()

    recovering = threading.Thread(target=recover)
    recovering.start()
    assert gate.reached.wait(10)
    # The late job starts now, while recovery holds what it read of the item.
    starting = threading.Thread(
        target=harness.start_generation,
        args=(StartGenerationCommand("org_a", item.id, 3),),
    )
    starting.start()
    starting.join(timeout=0.5)
    gate.go_on.set()
    recovering.join(10)
    starting.join(10)

    run_id = harness.generator.requests[-1].run_id
    stored, episode, run = queue_item_for(harness, run_id)
    assert run.is_open
    assert (stored.status, episode.status) == (QueueStatus.PROCESSING, EpisodeStatus.GENERATING)
    assert harness.apply_result(succeeded(run_id)) is ResultOutcome.PUBLISHED
