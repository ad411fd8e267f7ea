"""Memory mode's dispatcher counts the jobs no worker thread has taken yet."""

from __future__ import annotations

import threading
import time
from typing import cast

from manyfutures.adapters.memory.dispatcher import ThreadPoolDispatcher
from manyfutures.core.generation.use_cases import StartGeneration, StartGenerationCommand
from tests.support import builders as b


def test_waiting_counts_dispatched_jobs_until_a_worker_thread_takes_them() -> None:
    release = threading.Event()
    started: list[str] = []

    def start(command: StartGenerationCommand) -> None:
        started.append(command.queue_item_id)
        release.wait(10)

    dispatcher = ThreadPoolDispatcher(cast(StartGeneration, start), workers=1)
    try:
        for n in range(3):
            dispatcher.dispatch_generation(b.queue_item(f"queue_{n}", attempt_count=1))
        deadline = time.monotonic() + 10
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (started, dispatcher.waiting()) == (["queue_0"], 2)
    finally:
        release.set()
        dispatcher.shutdown()
    assert (started, dispatcher.waiting()) == (["queue_0", "queue_1", "queue_2"], 0)
