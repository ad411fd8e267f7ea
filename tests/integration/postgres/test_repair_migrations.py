"""Data repairs in migrations: each run by an owner that is no superuser, as on hosted
PostgreSQL, where forced row-level security binds the owner too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade
from manyfutures.container import build_container
from manyfutures.core.identity.use_cases import SyncMembershipCommand, SyncUserCommand
from manyfutures.core.projects.use_cases import CreateProjectCommand
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase

pytestmark = pytest.mark.integration

BEFORE_REPAIR = "scheduler_leases_deleted_orgs"
REPAIR = "archive_deleted_organizations"
REPAIRED_TABLES = ("organizations", "projects", "episode_schedule_queue")


@contextmanager
def plain_owner(db: MigratedDatabase, url: URL) -> Iterator[URL]:
    """Hand the repaired tables and Alembic's version table to a role that is neither
    superuser nor BYPASSRLS, and yield a URL connecting as it."""
    role = f"manyfutures_test_owner_{secrets.token_hex(4)}"
    admin = create_owner_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        for table in REPAIRED_TABLES:
            connection.execute(text(f"ALTER TABLE {table} OWNER TO {role}"))
        connection.execute(text(f"GRANT ALL ON alembic_version TO {role}"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    try:
        yield url.set(username=role, password=None)
    finally:
        with admin.begin() as connection:
            for table in REPAIRED_TABLES:
                connection.execute(text(f"ALTER TABLE {table} OWNER TO CURRENT_USER"))
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def seed(db: MigratedDatabase, url: URL, org: str) -> str:
    """An organization with one active project due now, through the use cases; its id."""
    app_url = url.set(username=db.app_role, password=db.app_password)
    container = build_container(
        Settings.from_env(
            {
                "MANYFUTURES_STORAGE": "postgres",
                "MANYFUTURES_ALLOW_DEV_AUTH": "1",
                "MANYFUTURES_APP_DATABASE_URL": app_url.render_as_string(hide_password=False),
            }
        )
    )
    try:
        user = f"user_{org}"
        container.identity.sync_user()(SyncUserCommand(user, f"{user}@example.org", user, "UTC"))
        container.identity.sync_membership()(
            SyncMembershipCommand(org, org, user, f"{user}@example.org", user, Role.ADMIN)
        )
        project = container.projects.create_project()(
            CreateProjectCommand(Actor(user, org, Role.ADMIN), "Grid", "Storage")
        )
        return project.id
    finally:
        container.adapters.postgres_engine().dispose()


def test_projects_of_organizations_deleted_before_the_fix_are_archived_and_their_slots_cancelled(
    db: MigratedDatabase,
) -> None:
    with db.scratch("repair") as url:
        config = alembic_config(
            url.render_as_string(hide_password=False),
            app_role=db.app_role,
            scheduler_role=db.scheduler_role,
        )
        upgrade(config, BEFORE_REPAIR)
        gone, alive = seed(db, url, "org_gone"), seed(db, url, "org_alive")
        owner = create_owner_engine(url)
        try:
            with owner.begin() as connection:
                # What deletion did before it stopped projects: the tombstone only.
                connection.execute(
                    text("UPDATE organizations SET deleted_at = now() WHERE id = 'org_gone'")
                )
            with plain_owner(db, url) as repairer:
                # The repair only: later migrations touch what this owner was not given.
                upgrade(
                    alembic_config(
                        repairer.render_as_string(hide_password=False),
                        app_role=db.app_role,
                        scheduler_role=db.scheduler_role,
                    ),
                    REPAIR,
                )
            with owner.connect() as connection:
                projects = dict(
                    connection.execute(
                        text("SELECT id, status || ' ' || version FROM projects")
                    ).all()
                )
                slots = dict(
                    connection.execute(
                        text("SELECT project_id, status FROM episode_schedule_queue")
                    ).all()
                )
                forced = set(
                    connection.execute(
                        text(
                            "SELECT relname FROM pg_class "
                            "WHERE relforcerowsecurity AND relname = ANY(:tables)"
                        ),
                        {"tables": list(REPAIRED_TABLES)},
                    ).scalars()
                )
        finally:
            owner.dispose()
    assert projects == {gone: "ARCHIVED 2", alive: "ACTIVE 1"}
    assert slots == {gone: "cancelled", alive: "pending"}
    assert forced == set(REPAIRED_TABLES)
