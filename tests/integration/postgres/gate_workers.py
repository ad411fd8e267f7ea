"""Child-process code for the cost gate's race: start generations through the production
container, as RQ workers would.

Forked like workers.py's children: each builds its own container (engine, pool) from
the database URL and never touches the parent's.
"""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from dependency_injector import providers

from manyfutures.container import build_container
from manyfutures.core.generation.use_cases import StartGenerationCommand
from manyfutures.settings import Settings
from tests.support.container import UNSUBSCRIBE_SECRET
from tests.support.fakes import RecordingGenerator

Job = tuple[str, str, int]
"""(organization, queue item, attempt): what the scheduler enqueues."""


def start_generations(url: str, jobs: list[Job], start: Barrier, results: Queue[int]) -> None:
    """Run StartGeneration for each job; put how many opened a run."""
    settings = Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": url,
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_DB_POOL_SIZE": "1",
        }
    )
    container = build_container(settings)
    container.generation.generator.override(providers.Object(RecordingGenerator()))
    start_generation = container.generation.start_generation()
    started = 0
    start.wait()
    try:
        for organization, item_id, attempt in jobs:
            if start_generation(StartGenerationCommand(organization, item_id, attempt)):
                started += 1
    finally:
        container.adapters.postgres_engine().dispose()
        results.put(started)
