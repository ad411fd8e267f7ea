"""No pooled connection crosses a fork: a forked process builds its own container."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from manyfutures.entrypoints import process_container as module
from manyfutures.entrypoints.process_container import process_container
from tests.integration.pipeline.conftest import Pipeline

pytestmark = pytest.mark.integration
BACKEND = text("SELECT pg_backend_pid()")


def test_a_forked_child_builds_its_own_container_and_leaves_the_parents_alone(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in pipeline.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(module, "_built", None)
    parent = process_container()
    assert process_container() is parent  # one per process
    engine = parent.adapters.postgres_engine()
    with engine.connect() as connection:
        parent_backend = connection.execute(BACKEND).scalar_one()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
        try:
            mine = process_container()
            with mine.adapters.postgres_engine().connect() as connection:
                backend = connection.execute(BACKEND).scalar_one()
            os.write(write, f"{mine is parent} {backend}".encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    shared, child_backend = os.read(read, 100).decode().split()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (shared, int(child_backend) != parent_backend) == ("False", True)
    # The parent's pooled connection was neither used nor closed by the child.
    with engine.connect() as connection:
        assert connection.execute(BACKEND).scalar_one() == parent_backend
    engine.dispose()
