"""Data repairs in migrations: each run by an owner that is no superuser, as on hosted
PostgreSQL, where forced row-level security binds the owner too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.migrate import alembic_config, upgrade
from tests.integration.postgres.database import MigratedDatabase

pytestmark = pytest.mark.integration

BEFORE_REPAIR = "scheduler_leases_deleted_orgs"
REPAIR = "archive_deleted_organizations"
REPAIRED_TABLES = ("organizations", "projects", "episode_schedule_queue")


@contextmanager
def plain_owner(
    db: MigratedDatabase,
    url: URL,
    tables: tuple[str, ...] = REPAIRED_TABLES,
    function_owner: str | None = None,
) -> Iterator[URL]:
    """Hand the repaired tables and Alembic's version table to a role that is neither
    superuser nor BYPASSRLS, and yield a URL connecting as it. With ``function_owner``,
    the role may also create a function and hand it to that role (a migration that adds
    a cross-tenant function does)."""
    role = f"manyfutures_test_owner_{secrets.token_hex(4)}"
    admin = create_owner_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        for table in tables:
            connection.execute(text(f"ALTER TABLE {table} OWNER TO {role}"))
        connection.execute(text(f"GRANT ALL ON alembic_version TO {role}"))
        if connection.execute(text("SELECT to_regclass('migration_history')")).scalar():
            connection.execute(text(f"GRANT ALL ON migration_history TO {role}"))
        connection.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
        if function_owner is not None:
            connection.execute(text(f"GRANT {function_owner} TO {role}"))
            # A function's new owner needs CREATE on its schema (the scratch database's own).
            connection.execute(text(f"GRANT CREATE ON SCHEMA public TO {function_owner}"))
    try:
        yield url.set(username=role, password=None)
    finally:
        with admin.begin() as connection:
            for table in tables:
                connection.execute(text(f"ALTER TABLE {table} OWNER TO CURRENT_USER"))
            connection.execute(text(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


# Rows in the shape of BEFORE_REPAIR's schema, written as SQL: the use cases and their
# row mappers follow the newest schema, which later migrations widen (a plan's columns
# on organizations, say), so they cannot write a database left at an older revision.
SEED = [
    """INSERT INTO organizations (id, name, daily_cost_limit_gbp, created_at, updated_at)
       VALUES (:org, :org, 50, now(), now())""",
    """INSERT INTO projects (id, organization_id, created_by, title, onboarding_brief,
           cadence_mode, cadence_days, cadence_delivery_time, cadence_timezone, status,
           next_scheduled_at, memory_storage, version, created_at, updated_at)
       VALUES (:project, :org, :user, 'Grid', 'Storage', 'weekly', '{1}', '09:00', 'UTC',
           'ACTIVE', now(), 'json', 1, now(), now())""",
    """INSERT INTO episodes (id, organization_id, project_id, status, scheduled_for,
           generation_attempts, progress_percent, created_at, updated_at)
       VALUES (:episode, :org, :project, 'DRAFT', now(), 0, 0, now(), now())""",
    """INSERT INTO episode_schedule_queue (id, organization_id, project_id, episode_id,
           scheduled_for, available_at, status, attempt_count, created_at)
       VALUES (:item, :org, :project, :episode, now(), now(), 'pending', 0, now())""",
]


def seed(url: URL, org: str) -> str:
    """An organization with one active project due now; the project's id."""
    ids = {
        "org": org,
        "user": f"user_{org}",
        "project": f"proj_{org}",
        "episode": f"ep_{org}",
        "item": f"queue_{org}",
    }
    owner = create_owner_engine(url)
    try:
        with owner.begin() as connection:
            for statement in SEED:
                connection.execute(text(statement), ids)
    finally:
        owner.dispose()
    return ids["project"]


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
        gone, alive = seed(url, "org_gone"), seed(url, "org_alive")
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


BEFORE_MEMORY_IDS = "cost_alerts_day_end"
MEMORY_IDS = "memory_ids"
LEGACY_MEMORIES = """[
    {"content": "likes grid storage", "memory_type": "preference", "importance": 0.8,
     "created_at": "2026-01-05T08:00:00+00:00", "expires_at": null},
    {"content": "no time kept", "memory_type": "topic", "importance": 0.2},
    {"id": "mem_kept", "content": "already has one", "memory_type": "preference",
     "importance": 0.5, "created_at": "2026-01-05T09:00:00+00:00", "expires_at": null}
]"""


def test_every_json_memory_gets_the_id_the_mapper_derives_and_a_creation_time(
    db: MigratedDatabase,
) -> None:
    from manyfutures.adapters.postgres.projects import legacy_memory_id

    with db.scratch("memory_ids") as url:
        config = alembic_config(
            url.render_as_string(hide_password=False),
            app_role=db.app_role,
            scheduler_role=db.scheduler_role,
        )
        upgrade(config, BEFORE_MEMORY_IDS)
        project = seed(url, "org_a")
        owner = create_owner_engine(url)
        try:
            with owner.begin() as connection:
                connection.execute(
                    text("UPDATE projects SET memories = CAST(:m AS jsonb)"), {"m": LEGACY_MEMORIES}
                )
                created = connection.execute(text("SELECT created_at FROM projects")).scalar_one()
            with plain_owner(db, url, ("projects",), function_owner=db.scheduler_role) as repairer:
                upgrade(
                    alembic_config(
                        repairer.render_as_string(hide_password=False),
                        app_role=db.app_role,
                        scheduler_role=db.scheduler_role,
                    ),
                    MEMORY_IDS,
                )
            with owner.connect() as connection:
                memories = connection.execute(text("SELECT memories FROM projects")).scalar_one()
        finally:
            owner.dispose()
    assert [m["id"] for m in memories] == [
        legacy_memory_id(project, 1, "likes grid storage"),
        legacy_memory_id(project, 2, "no time kept"),
        "mem_kept",
    ]
    assert memories[0]["created_at"] == "2026-01-05T08:00:00+00:00"
    assert datetime.fromisoformat(memories[1]["created_at"]) == created
    assert [m["content"] for m in memories] == [
        "likes grid storage",
        "no time kept",
        "already has one",
    ]


ENGAGEMENT = "engagement_events"
ENGAGEMENT_TABLES = ("organizations", "user_events")


def test_the_engagement_migration_keeps_only_gating_features_and_one_first_open_per_user(
    db: MigratedDatabase,
) -> None:
    with db.scratch("engagement") as url:
        config = alembic_config(
            url.render_as_string(hide_password=False),
            app_role=db.app_role,
            scheduler_role=db.scheduler_role,
        )
        before = ScriptDirectory.from_config(config).get_revision(ENGAGEMENT).down_revision
        assert isinstance(before, str)
        upgrade(config, before)
        owner = create_owner_engine(url)
        try:
            with owner.begin() as connection:
                connection.execute(
                    text(
                        """INSERT INTO organizations (id, name, daily_cost_limit_gbp,
                               enabled_features, experimental_features, created_at, updated_at)
                           VALUES ('org_a', 'A', 50, '{chat,memories,onboarding}',
                                   '{highlights,notifications}', now(), now()),
                                  ('org_b', 'B', 50, '{highlights}', '{}', now(), now())"""
                    )
                )
                connection.execute(
                    text(
                        """INSERT INTO user_events (id, organization_id, user_id, event_type,
                               event_data, created_at)
                           VALUES ('evt_1', 'org_a', 'user_a', 'first_episode_opened', '{}', now()),
                                  ('evt_2', 'org_a', 'user_a', 'first_episode_opened', '{}', now()),
                                  ('evt_3', 'org_b', 'user_a', 'first_episode_opened', '{}', now()),
                                  ('evt_4', 'org_a', 'user_a', 'episode_opened', '{}', now())"""
                    )
                )
            with plain_owner(db, url, ENGAGEMENT_TABLES) as repairer:
                upgrade(
                    alembic_config(
                        repairer.render_as_string(hide_password=False),
                        app_role=db.app_role,
                        scheduler_role=db.scheduler_role,
                    ),
                    ENGAGEMENT,
                )
            with owner.connect() as connection:
                features = {
                    row.id: (row.enabled_features, row.experimental_features)
                    for row in connection.execute(
                        text(
                            "SELECT id, enabled_features, experimental_features FROM organizations"
                        )
                    )
                }
                events = sorted(connection.execute(text("SELECT id FROM user_events")).scalars())
                forced = set(
                    connection.execute(
                        text(
                            "SELECT relname FROM pg_class "
                            "WHERE relforcerowsecurity AND relname = ANY(:tables)"
                        ),
                        {"tables": list(ENGAGEMENT_TABLES)},
                    ).scalars()
                )
        finally:
            owner.dispose()
    assert features == {"org_a": (["chat"], ["highlights"]), "org_b": (["highlights"], [])}
    assert events == ["evt_1", "evt_3", "evt_4"]
    assert forced == set(ENGAGEMENT_TABLES)
