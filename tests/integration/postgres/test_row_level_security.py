"""Row-level security, proven with raw SQL as the app role on every tenant table.

The repositories filter by organization anyway; these tests bypass them and send
the statements a buggy query would send — no WHERE clause at all — to show the
database itself keeps organizations apart.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from manyfutures.adapters.postgres.base import tenant_column
from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.registry import METADATA, TENANT_TABLES
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction
from tests.support import builders as b

pytestmark = pytest.mark.integration

ORGS = ("org_a", "org_b")
SEED = """
INSERT INTO organizations (id, name, daily_cost_limit_gbp, created_at, updated_at)
VALUES (:org, 'Org', 50, now(), now());
INSERT INTO memberships (id, organization_id, user_id, role, created_at)
VALUES ('mem_' || :org, :org, 'user_1', 'admin', now());
INSERT INTO projects (id, organization_id, created_by, title, onboarding_brief, cadence_mode,
    cadence_days, cadence_delivery_time, cadence_timezone, status, memory_storage, version,
    created_at, updated_at)
VALUES ('proj_' || :org, :org, 'user_1', 'T', 'B', 'weekly', '{1}', '09:00', 'UTC', 'ACTIVE',
    'json', 1, now(), now());
INSERT INTO episodes (id, organization_id, project_id, status, scheduled_for,
    generation_attempts, progress_percent, created_at, updated_at)
VALUES ('ep_' || :org, :org, 'proj_' || :org, 'DRAFT', now(), 0, 0, now(), now());
INSERT INTO blocks (id, episode_id, organization_id, type, content, position, created_at,
    updated_at)
VALUES ('blk_' || :org, 'ep_' || :org, :org, 'MARKDOWN', 'Hello world', 0, now(), now());
INSERT INTO episode_schedule_queue (id, organization_id, project_id, episode_id, scheduled_for,
    available_at, status, attempt_count, created_at)
VALUES ('queue_' || :org, :org, 'proj_' || :org, 'ep_' || :org, now(), now(), 'pending', 0,
    now());
INSERT INTO generation_runs (id, organization_id, episode_id, queue_item_id, attempt, status,
    started_at)
VALUES ('run_' || :org, :org, 'ep_' || :org, 'queue_' || :org, 1, 'running', now());
INSERT INTO token_usage (id, organization_id, project_id, episode_id, operation, model,
    prompt_tokens, completion_tokens, cost_gbp, created_at)
VALUES ('usage_' || :org, :org, 'proj_' || :org, 'ep_' || :org, 'chat', 'm', 1, 1, 0.01, now());
INSERT INTO token_usage_runs (organization_id, run_id) VALUES (:org, 'run_' || :org);
INSERT INTO budget_days (organization_id, day, spent_gbp, reserved_gbp)
VALUES (:org, '2026-01-05', 0, 1.5);
INSERT INTO cost_reservations (id, organization_id, operation, amount_gbp, day, run_id, status,
    created_at)
VALUES ('rsv_' || :org, :org, 'episode_generation', 1.5, '2026-01-05', 'run_' || :org,
    'reserved', now());
INSERT INTO planning_notes (id, organization_id, project_id, user_id, note, status, created_at)
VALUES ('note_' || :org, :org, 'proj_' || :org, 'user_1', 'n', 'pending', now());
INSERT INTO episode_feedback (id, organization_id, project_id, episode_id, user_id, rating,
    created_at, updated_at)
VALUES ('fb_' || :org, :org, 'proj_' || :org, 'ep_' || :org, 'user_1', 4, now(), now());
INSERT INTO agent_memory (id, organization_id, project_id, content, memory_type, importance,
    created_at)
VALUES ('amem_' || :org, :org, 'proj_' || :org, 'c', 'preference', 0.5, now());
INSERT INTO user_events (id, organization_id, user_id, event_type, created_at)
VALUES ('evt_' || :org, :org, 'user_1', 'e', now());
INSERT INTO audit_log (id, organization_id, user_id, action, resource_type, created_at)
VALUES ('audit_' || :org, :org, 'user_1', 'a', 'project', now());
INSERT INTO chat_sessions (id, organization_id, user_id, project_id, created_at)
VALUES ('chat_' || :org, :org, 'user_1', 'proj_' || :org, now());
INSERT INTO chat_messages (id, organization_id, session_id, role, content, created_at)
VALUES ('msg_' || :org, :org, 'chat_' || :org, 'user', 'hi', now());
INSERT INTO highlights (id, organization_id, user_id, episode_id, block_id, start_offset,
    end_offset, text, created_at)
VALUES ('hl_' || :org, :org, 'user_1', 'ep_' || :org, 'blk_' || :org, 0, 5, 'Hello', now());
INSERT INTO notifications (id, organization_id, user_id, kind, title, body, created_at)
VALUES ('notif_' || :org, :org, 'user_1', 'k', 't', 'b', now());
INSERT INTO notification_preferences (id, organization_id, user_id, kind, channel, enabled,
    updated_at)
VALUES ('npref_' || :org, :org, 'user_1', 'episode_ready', 'email', false, now());
INSERT INTO outbox_messages (id, organization_id, recipient, subject, body, status, attempts,
    available_at, created_at)
VALUES ('outbox_' || :org, :org, 'r@example.org', 's', 'b', 'pending', 0, now(), now());
"""


def _key(table: str) -> str:
    column = tenant_column(METADATA.tables[table])
    assert column is not None, f"{table} is a global table"
    return column


def _rows_per_org(db: MigratedDatabase, table: str) -> dict[str, int]:
    """Counted as the owner, scoped org by org (in case the owner is bound by RLS too)."""
    counts = {}
    with db.owner_engine.begin() as connection:
        for org in ORGS:
            counts[org] = connection.execute(
                text(
                    "SELECT set_config('app.current_org_id', :org, true), count(*) "
                    f"FROM {table} WHERE {_key(table)} = :org"
                ),
                {"org": org},
            ).one()[1]
    return counts


def _privilege(db: MigratedDatabase, table: str, privilege: str) -> bool:
    with db.owner_engine.connect() as connection:
        return bool(
            connection.execute(
                text("SELECT has_table_privilege(:role, :table, :privilege)"),
                {"role": db.app_role, "table": table, "privilege": privilege},
            ).scalar_one()
        )


@pytest.fixture
def seeded(db: MigratedDatabase) -> MigratedDatabase:
    for org in ORGS:
        with tenant_transaction(db.owner_engine, org) as connection:
            for statement in filter(str.strip, SEED.split(";")):
                connection.execute(text(statement), {"org": org})
    return db


def test_the_seed_covers_every_tenant_table(seeded: MigratedDatabase) -> None:
    """Otherwise a new tenant table would pass the tests below without a row to protect."""
    for table in TENANT_TABLES:
        assert _rows_per_org(seeded, table) == {"org_a": 1, "org_b": 1}, table


def _as_org_a(db: MigratedDatabase, sql: str) -> int | None:
    """Run one statement scoped to org_a; the row count, or None if it was refused."""
    try:
        with tenant_transaction(db.app_engine, "org_a") as connection:
            result = connection.execute(text(sql))
            return result.scalar_one() if result.returns_rows else result.rowcount
    except ProgrammingError as error:
        if "permission denied" not in str(error):
            raise
        return None


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_a_statement_without_where_sees_and_touches_only_its_own_organization(
    seeded: MigratedDatabase, table: str
) -> None:
    db = seeded
    key = _key(table)
    can_read = _privilege(db, table, "SELECT")
    assert _as_org_a(db, f"SELECT count(*) FROM {table}") == (1 if can_read else None)
    assert _as_org_a(db, f"SELECT count(*) FROM {table} WHERE {key} = 'org_b'") == (
        0 if can_read else None
    )
    can_update = _privilege(db, table, "UPDATE")
    assert _as_org_a(db, f"UPDATE {table} SET {key} = {key}") == (1 if can_update else None)
    assert _as_org_a(db, f"UPDATE {table} SET {key} = {key} WHERE {key} = 'org_b'") == (
        0 if can_update else None
    )
    can_delete = _privilege(db, table, "DELETE")
    assert _as_org_a(db, f"DELETE FROM {table}") == (1 if can_delete else None)
    expected_a = 0 if can_delete else 1
    assert _rows_per_org(db, table) == {"org_a": expected_a, "org_b": 1}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_without_an_organization_nothing_is_visible(seeded: MigratedDatabase, table: str) -> None:
    can_read = _privilege(seeded, table, "SELECT")
    for scope in (None, ""):
        try:
            with tenant_transaction(seeded.app_engine, scope) as connection:
                count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        except ProgrammingError:
            assert not can_read
            continue
        assert count == 0, (table, scope)


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_moving_a_row_into_another_organization_is_refused(
    seeded: MigratedDatabase, table: str
) -> None:
    """The policy's WITH CHECK: an UPDATE may not produce a row the tenant could not see.

    Tables the app role may not update at all refuse it earlier, by privilege.
    """
    refusal = "row-level security" if _privilege(seeded, table, "UPDATE") else "permission denied"
    key = _key(table)
    with pytest.raises(ProgrammingError, match=refusal):  # noqa: SIM117
        with tenant_transaction(seeded.app_engine, "org_a") as connection:
            connection.execute(text(f"UPDATE {table} SET {key} = 'org_b'"))
    assert _rows_per_org(seeded, table) == {"org_a": 1, "org_b": 1}


def test_inserting_another_organizations_row_is_refused_by_the_database(
    seeded: MigratedDatabase,
) -> None:
    """Defence in depth: even a write that skipped the Python check cannot land."""
    with pytest.raises(ProgrammingError, match="row-level security"):  # noqa: SIM117
        with tenant_transaction(seeded.app_engine, "org_a") as connection:
            connection.execute(
                text(
                    "INSERT INTO token_usage (id, organization_id, operation, model, "
                    "prompt_tokens, completion_tokens, cost_gbp, created_at) "
                    "VALUES ('usage_x', 'org_b', 'chat', 'm', 1, 1, 0.01, now())"
                )
            )
    assert _rows_per_org(seeded, "token_usage") == {"org_a": 1, "org_b": 1}


def test_a_reference_to_another_organizations_parent_is_refused(
    seeded: MigratedDatabase,
) -> None:
    """Foreign-key checks ignore RLS; the composite keys still keep references in-tenant."""
    with pytest.raises(DBAPIError, match="foreign key"):  # noqa: SIM117
        with tenant_transaction(seeded.app_engine, "org_a") as connection:
            connection.execute(
                text(
                    "INSERT INTO episodes (id, organization_id, project_id, status, "
                    "scheduled_for, generation_attempts, progress_percent, created_at, "
                    "updated_at) VALUES ('ep_x', 'org_a', 'proj_org_b', 'DRAFT', now(), 0, 0, "
                    "now(), now())"
                )
            )


def test_the_tenant_setting_does_not_outlive_its_transaction(db: MigratedDatabase) -> None:
    """One pooled connection, reused: the next borrower sees no organization."""
    engine = create_app_engine(db.app_url, PoolOptions(size=1, max_overflow=0))
    try:
        factory = PostgresUnitOfWorkFactory(engine)
        with factory("org_a") as uow:
            uow.organizations.add(b.organization("org_a"))
            uow.projects.add(b.project("proj_a", "org_a"))
            uow.commit()
            # Reused after commit: the new transaction is scoped again.
            assert uow.projects.get("proj_a") is not None
        with engine.connect() as connection:
            pid_after_uow = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            setting = connection.execute(
                text("SELECT current_setting('app.current_org_id', true)")
            ).scalar_one()
            visible = connection.execute(text("SELECT count(*) FROM projects")).scalar_one()
        with factory("org_a") as uow:
            pid_in_uow = uow.now(_backend_pid)  # type: ignore[attr-defined]
        assert pid_in_uow == pid_after_uow, "the test must reuse the same pooled connection"
        assert setting in ("", None)
        assert visible == 0
    finally:
        engine.dispose()


def _backend_pid(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


# Written out here, not read back from the grants, so the tests above cannot pass by
# comparing "no privilege" with "no privilege": every tenant table is readable, the
# ledgers are append-only, the aggregate is maintained by its trigger alone.
EXPECTED_PRIVILEGES = {
    "token_usage_daily": {"SELECT"},
    "token_usage_daily_episodes": set(),
    "token_usage": {"SELECT", "INSERT"},
    "token_usage_runs": {"SELECT", "INSERT"},
    "audit_log": {"SELECT", "INSERT"},
    "user_events": {"SELECT", "INSERT"},
    # Inserted with the change it reports; only the dispatcher's functions change it after.
    "outbox_messages": {"SELECT", "INSERT"},
    "memberships": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "agent_memory": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "highlights": {"SELECT", "INSERT", "UPDATE", "DELETE"},
}
DEFAULT_PRIVILEGES = {"SELECT", "INSERT", "UPDATE"}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_the_app_role_has_exactly_the_intended_privileges(
    seeded: MigratedDatabase, table: str
) -> None:
    granted = {
        privilege
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
        if _privilege(seeded, table, privilege)
    }
    assert granted == EXPECTED_PRIVILEGES.get(table, DEFAULT_PRIVILEGES)
