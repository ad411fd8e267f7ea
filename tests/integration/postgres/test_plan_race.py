"""The plan's active-project limit against PostgreSQL, under real concurrency: eight
processes create a project at once for an organization with room for one."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
from sqlalchemy import text

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.shared.actor import Actor, Role
from tests.integration.postgres.database import MigratedDatabase
from tests.integration.postgres.workers import create_one_project
from tests.support import builders as b

pytestmark = pytest.mark.integration

PROCESSES = 8
ACTIVE_PROJECTS = text(
    "SELECT count(*) FROM projects WHERE organization_id = 'org_a' "
    "AND status = 'ACTIVE' AND deleted_at IS NULL"
)


def test_eight_processes_racing_for_one_place_one_creates(db: MigratedDatabase) -> None:
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a", max_active_projects=3))
        uow.projects.add(b.project("proj_1"))
        uow.projects.add(b.project("proj_2"))
        uow.projects.add(b.project("proj_paused", status=ProjectStatus.PAUSED))
        uow.commit()
    context = multiprocessing.get_context("fork")
    start, everyone = context.Barrier(PROCESSES), context.Barrier(PROCESSES)
    results: multiprocessing.Queue[str] = context.Queue()
    url = db.app_url.render_as_string(hide_password=False)
    actor = Actor("user_a", "org_a", Role.ADMIN)
    processes = [
        context.Process(target=create_one_project, args=(url, actor, start, everyone, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = Counter(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert outcomes == {"created": 1, "refused": PROCESSES - 1}
    with db.owner_engine.connect() as connection:
        assert connection.execute(ACTIVE_PROJECTS).scalar_one() == 3
