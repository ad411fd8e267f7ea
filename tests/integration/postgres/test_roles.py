"""The app role is an ordinary RLS-bound role; the scheduler role is reached only via functions."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from manyfutures.adapters.postgres.engine import (
    DatabaseConfigError,
    create_owner_engine,
    current_role_facts,
)
from manyfutures.adapters.postgres.wiring import guard_row_level_security
from tests.integration.postgres.database import MigratedDatabase, tenant_transaction

pytestmark = pytest.mark.integration

SCHEDULER_FUNCTIONS = (
    "scheduler_due_projects",
    "scheduler_claim_due_items",
    "scheduler_abandoned_items",
)


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


def test_cross_tenant_functions_belong_to_the_scheduler_role_and_only_the_app_runs_them(
    db: MigratedDatabase,
) -> None:
    with db.owner_engine.connect() as connection:
        for name in SCHEDULER_FUNCTIONS:
            owner, definer, public, app = connection.execute(
                text(
                    "SELECT pg_get_userbyid(p.proowner), p.prosecdef, "
                    "has_function_privilege('public', p.oid, 'EXECUTE'), "
                    "has_function_privilege(:app, p.oid, 'EXECUTE') "
                    "FROM pg_proc p WHERE p.proname = :name"
                ),
                {"name": name, "app": db.app_role},
            ).one()
            assert (owner, definer, public, app) == (db.scheduler_role, True, False, True), name


def test_the_app_role_cannot_write_the_daily_aggregate_directly(db: MigratedDatabase) -> None:
    """Only the trigger maintains token_usage_daily; the app may read it."""
    with pytest.raises(ProgrammingError, match="permission denied"):  # noqa: SIM117
        with tenant_transaction(db.app_engine, "org_a") as connection:
            connection.execute(text("UPDATE token_usage_daily SET total_cost_gbp = 0"))
    with tenant_transaction(db.app_engine, "org_a") as connection:
        assert connection.execute(text("SELECT count(*) FROM token_usage_daily")).scalar() == 0


def test_ledgers_are_append_only_for_the_app(db: MigratedDatabase) -> None:
    for table in ("token_usage", "audit_log", "user_events", "chat_messages"):
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(ProgrammingError, match="permission denied"):  # noqa: SIM117
                with tenant_transaction(db.app_engine, "org_a") as connection:
                    connection.execute(text(statement))
