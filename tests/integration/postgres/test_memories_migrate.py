"""``manyfutures memories migrate`` against PostgreSQL, killed half-way and run again.

The command runs as a real process. ``--step`` makes it print a line and wait on stdin
inside each project's transaction, after the inserts and the count check and before the
commit; the test answers the first steps and SIGKILLs the process at the next one. Then
every memory must be in exactly one store, the killed project untouched, and a second
run must move the rest with the counts equal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.projects.model import MemoryStorage, ProjectMemory
from manyfutures.entrypoints.cli import main
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.container import UNSUBSCRIBE_SECRET

pytestmark = pytest.mark.integration

# One project per organization, each with its own memories, moved in id order.
PROJECTS = {"org_a": ("proj_a", 3), "org_b": ("proj_b", 4), "org_c": ("proj_c", 2)}
RUN = [
    sys.executable,
    "-c",
    "from manyfutures.entrypoints.cli import main; raise SystemExit(main())",
]


@pytest.fixture
def seeded(db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> PostgresUnitOfWorkFactory:
    monkeypatch.setenv("MANYFUTURES_STORAGE", "postgres")
    monkeypatch.setenv("MANYFUTURES_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    monkeypatch.setenv("MANYFUTURES_ALLOW_DEV_AUTH", "true")
    monkeypatch.setenv("MANYFUTURES_APP_DATABASE_URL", db.app_url.render_as_string(False))
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    for org, (project_id, count) in PROJECTS.items():
        with factory(org) as uow:
            uow.organizations.add(b.organization(org))
            memories = [
                ProjectMemory(
                    id=f"mem_{project_id}_{n}",
                    content=f"memory {n} of {project_id}",
                    importance=n / 10,
                    created_at=T0 + timedelta(minutes=n),
                )
                for n in range(count)
            ]
            uow.projects.add(b.project(project_id, org, memories=memories))
            uow.commit()
    return factory


def stores(
    factory: PostgresUnitOfWorkFactory,
) -> dict[str, tuple[MemoryStorage, set[str], set[str]]]:
    """Per project: its storage, the ids in its JSON, the ids in the table."""
    seen = {}
    for org, (project_id, _) in PROJECTS.items():
        with factory(org) as uow:
            project = uow.projects.get(project_id)
            assert project is not None
            table = uow.agent_memories.list_for_project(project_id)
            seen[project_id] = (
                project.memory_storage,
                {m.id for m in project.memories},
                {m.id for m in table},
            )
    return seen


def all_ids() -> dict[str, set[str]]:
    return {p: {f"mem_{p}_{n}" for n in range(c)} for p, c in PROJECTS.values()}


def assert_each_memory_in_one_store(factory: PostgresUnitOfWorkFactory) -> None:
    for project_id, (storage, in_json, in_table) in stores(factory).items():
        assert not in_json & in_table, project_id
        assert in_json | in_table == all_ids()[project_id], project_id
        wanted = in_table if storage is MemoryStorage.TABLE else in_json
        assert wanted == all_ids()[project_id], project_id


@pytest.mark.parametrize("killed_at_step", [1, 2, 3])
def test_killed_half_way_then_run_again_moves_everything_once(
    seeded: PostgresUnitOfWorkFactory, killed_at_step: int
) -> None:
    process = subprocess.Popen(
        [*RUN, "memories", "migrate", "--all", "--step"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert process.stdin is not None and process.stdout is not None
    steps = 0
    try:
        for line in process.stdout:
            printed = json.loads(line)
            if printed.get("step") != "before-commit":
                continue
            steps += 1
            if steps == killed_at_step:
                os.kill(process.pid, signal.SIGKILL)
                break
            process.stdin.write("\n")
            process.stdin.flush()
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    after_kill = stores(seeded)
    moved = [p for p, (storage, _, _) in after_kill.items() if storage is MemoryStorage.TABLE]
    assert moved == sorted(p for p, _ in PROJECTS.values())[: killed_at_step - 1]
    assert_each_memory_in_one_store(seeded)

    assert main(["memories", "migrate", "--all"]) == 0

    final = stores(seeded)
    assert {storage for storage, _, _ in final.values()} == {MemoryStorage.TABLE}
    assert {p: table for p, (_, _, table) in final.items()} == all_ids()
    assert_each_memory_in_one_store(seeded)


def test_one_project_a_dry_run_and_a_repeat(
    seeded: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["memories", "migrate", "--project", "proj_b", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "organizationId": "org_b",
        "projectId": "proj_b",
        "moved": 4,
        "dryRun": True,
        "migrated": True,
    }
    assert stores(seeded)["proj_b"][0] is MemoryStorage.JSON

    assert main(["memories", "migrate", "--project", "proj_b"]) == 0
    assert json.loads(capsys.readouterr().out)["moved"] == 4
    assert main(["memories", "migrate", "--project", "proj_b"]) == 0
    repeat = capsys.readouterr()
    assert repeat.out == ""
    assert "no project proj_b keeps its memories as JSON" in repeat.err

    seen = stores(seeded)
    assert seen["proj_b"] == (MemoryStorage.TABLE, set(), all_ids()["proj_b"])
    assert seen["proj_a"][0] is MemoryStorage.JSON
