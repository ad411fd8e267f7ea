"""The app role is an ordinary RLS-bound role; the scheduler role is reached only via functions."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from manyfutures.adapters.postgres.engine import (
    DatabaseConfigError,
    create_owner_engine,
    current_role_facts,
)
from manyfutures.adapters.postgres.migrate import alembic_config, current_revision, upgrade
from manyfutures.adapters.postgres.operations.cross_tenant import read_listed
from manyfutures.adapters.postgres.wiring import guard_row_level_security
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction
from tests.support.ci import on_ci

pytestmark = pytest.mark.integration

DEFINER_FUNCTIONS = text(
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema() AND p.prosecdef"
)
LISTED = read_listed()


def test_the_app_role_is_bound_by_row_level_security(db: MigratedDatabase) -> None:
    facts = current_role_facts(db.app_engine)
    assert facts.name == db.app_role
    assert (facts.superuser, facts.bypass_rls, facts.owned_tables) == (False, False, 0)
    guarded = create_owner_engine(db.app_url)  # the guard the service installs
    guard_row_level_security(guarded)
    with guarded.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() == db.app_role
    guarded.dispose()


def test_the_service_refuses_to_run_as_the_owner(db: MigratedDatabase) -> None:
    guarded = create_owner_engine(db.owner_url)
    guard_row_level_security(guarded)
    for _ in range(2):  # refused on every attempt, not only the first connection
        with pytest.raises(DatabaseConfigError, match="superuser"), guarded.connect():
            pass
    guarded.dispose()


def test_the_scheduler_role_cannot_log_in_and_the_app_cannot_become_it(
    db: MigratedDatabase,
) -> None:
    with db.owner_engine.connect() as connection:
        can_login, superuser, bypass = connection.execute(
            text("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
            {"r": db.scheduler_role},
        ).one()
        member = connection.execute(
            text("SELECT pg_has_role(:app, :scheduler, 'MEMBER')"),
            {"app": db.app_role, "scheduler": db.scheduler_role},
        ).scalar_one()
    assert (can_login, superuser, bypass, member) == (False, False, False, False)
    with pytest.raises(ProgrammingError), db.app_engine.connect() as connection:
        connection.execute(text(f"SET ROLE {db.scheduler_role}"))


def test_adr_0007_lists_exactly_the_cross_tenant_functions(db: MigratedDatabase) -> None:
    """The ADR is the one list: a function added or dropped without it fails here."""
    listed = set(LISTED.crossing)
    assert {"scheduler_claim_due_items", "outbox_claim_due", "operations_table_rows"} <= listed
    with db.owner_engine.connect() as connection:
        definers = set(connection.execute(DEFINER_FUNCTIONS).scalars())
    assert definers - LISTED.not_crossing == listed
    assert definers >= LISTED.not_crossing == {"token_usage_fold_into_daily"}


def test_cross_tenant_functions_belong_to_the_scheduler_role_and_run_as_the_adr_says(
    db: MigratedDatabase,
) -> None:
    """The service's functions are run by the app role; the operators' by the owner only."""
    assert set(LISTED.crossing.values()) == {"app role", "owner"}
    with db.owner_engine.connect() as connection:
        for name, runner in sorted(LISTED.crossing.items()):
            owner, definer, public, app = connection.execute(
                text(
                    "SELECT pg_get_userbyid(p.proowner), p.prosecdef, "
                    "has_function_privilege('public', p.oid, 'EXECUTE'), "
                    "has_function_privilege(:app, p.oid, 'EXECUTE') "
                    "FROM pg_proc p WHERE p.proname = :name"
                ),
                {"name": name, "app": db.app_role},
            ).one()
            expected = (db.scheduler_role, True, False, runner == "app role")
            assert (owner, definer, public, app) == expected, name


def test_the_app_role_cannot_write_the_daily_aggregate_directly(db: MigratedDatabase) -> None:
    """Only the trigger maintains token_usage_daily; the app may read it."""
    with pytest.raises(ProgrammingError, match="permission denied"):  # noqa: SIM117
        with tenant_transaction(db.app_engine, "org_a") as connection:
            connection.execute(text("UPDATE token_usage_daily SET total_cost_gbp = 0"))
    with tenant_transaction(db.app_engine, "org_a") as connection:
        assert connection.execute(text("SELECT count(*) FROM token_usage_daily")).scalar() == 0


def test_ledgers_are_append_only_for_the_app(db: MigratedDatabase) -> None:
    # chat_messages was one until replies were produced by a job (migration 0015).
    for table in ("token_usage", "audit_log", "user_events"):
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(ProgrammingError, match="permission denied"):  # noqa: SIM117
                with tenant_transaction(db.app_engine, "org_a") as connection:
                    connection.execute(text(statement))


@pytest.mark.parametrize("which", ["app_role", "scheduler_role"])
@pytest.mark.parametrize("attribute", ["SUPERUSER", "BYPASSRLS"])
def test_an_existing_role_rls_would_not_bind_stops_the_migration(
    db: MigratedDatabase, which: str, attribute: str
) -> None:
    """The migration adopts an existing role of the configured name, unless RLS would not
    bind it: then it stops, and leaves the database as it found it (docs/postgres.md)."""
    unsafe = f"manyfutures_test_unsafe_{secrets.token_hex(4)}"
    admin = create_owner_engine(db.server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            try:
                connection.execute(text(f"CREATE ROLE {unsafe} NOLOGIN {attribute}"))
            except ProgrammingError as error:
                if on_ci():
                    raise
                pytest.skip(f"the owner cannot create a {attribute} role: {error.orig}")
        try:
            with db.scratch("unsafe_role") as url:
                roles = {"app_role": db.app_role, "scheduler_role": db.scheduler_role}
                config = alembic_config(
                    url.render_as_string(hide_password=False), **{**roles, which: unsafe}
                )
                with pytest.raises(DBAPIError, match=f"role {unsafe} is a superuser or has"):
                    upgrade(config)
                engine = create_owner_engine(url)
                with engine.connect() as connection:
                    assert current_revision(connection) is None
                    tables = connection.execute(
                        text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
                    ).scalar_one()
                engine.dispose()
                assert tables == 0
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP ROLE IF EXISTS {unsafe}"))
    finally:
        admin.dispose()
