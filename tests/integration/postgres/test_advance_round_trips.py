"""What advancing due projects costs PostgreSQL: round trips per project advanced.

The scheduler advances up to 500 projects a beat; at ~10 round trips each (a transaction,
five reads, three writes) that was most of its CPU and a share of the server's. One
organization's due projects are advanced together (core/projects/advance.py): one
transaction, three reads and three writes for up to 50 of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.projects.advance import ScheduleDueProjects
from manyfutures.core.projects.cadence import Cadence
from tests.integration.postgres.database import MigratedDatabase
from tests.integration.postgres.test_unit_of_work_round_trips import round_trips, sent_messages
from tests.support import builders as b
from tests.support.fakes import ManualClock, SequentialIds

pytestmark = pytest.mark.integration
DUE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PROJECTS = 50


@pytest.fixture
def engine(db: MigratedDatabase) -> Iterator[Engine]:
    """One pooled connection, so the trace sees every statement the advance sends."""
    engine = create_app_engine(db.app_url, PoolOptions(size=1, max_overflow=0))
    yield engine
    engine.dispose()


def due_projects(engine: Engine, organization_id: str, count: int) -> None:
    """Daily projects whose slot (queue item and draft) is due at DUE."""
    cadence = Cadence.create("daily", [], "09:00", "Europe/London")
    with PostgresUnitOfWorkFactory(engine)(organization_id) as uow:
        uow.organizations.add(b.organization(organization_id))
        for n in range(count):
            project_id, episode_id = f"proj_{n:03d}", f"ep_{n:03d}"
            uow.projects.add(
                b.project(project_id, organization_id, cadence=cadence, next_scheduled_at=DUE)
            )
            uow.episodes.add(b.episode(episode_id, project_id, organization_id, scheduled_for=DUE))
            uow.queue.add(b.queue_item(f"queue_{n:03d}", project_id, episode_id, slot=DUE))
        uow.commit()


def test_advancing_an_organizations_due_projects_takes_few_round_trips_each(
    engine: Engine, db: MigratedDatabase
) -> None:
    due_projects(engine, "org_a", PROJECTS)
    advance = ScheduleDueProjects(
        PostgresUnitOfWorkFactory(engine),
        ManualClock(DUE),
        SequentialIds(),
        PostgresSchedulerGateway(db.app_engine),  # its own connection, outside the trace
    )
    with sent_messages(engine) as messages:
        assert advance() == PROJECTS
    # BEGIN and the tenant; the projects, their queue items, the next slots' episodes;
    # the new episodes, the new queue items, the projects' next slots; COMMIT.
    assert round_trips(messages) == 8
