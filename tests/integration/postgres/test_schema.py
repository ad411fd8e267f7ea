"""The migrated schema equals the models, and keeps the rules `manyfutures db lint` enforces
(through the same checks: adapters/postgres/operations/lint.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import CheckConstraint, Connection, Engine, text

from manyfutures.adapters.postgres.migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    head_revision,
    schema_drift,
    upgrade,
)
from manyfutures.adapters.postgres.migration_history import BOOKKEEPING_TABLES
from manyfutures.adapters.postgres.operations.cross_tenant import read_listed
from manyfutures.adapters.postgres.operations.lint import (
    Rules,
    check_app_role,
    lint,
    model_rules,
    tenant_tables,
)
from manyfutures.adapters.postgres.registry import METADATA, TENANT_TABLES
from tests.integration.postgres.database import MigratedDatabase

pytestmark = pytest.mark.integration


def test_models_and_migrations_agree(db: MigratedDatabase) -> None:
    """`alembic check` as a test: a model change without a migration fails here."""
    with db.owner_engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert schema_drift(connection) == []


def test_drift_is_detected_when_the_database_differs(db: MigratedDatabase) -> None:
    """The drift check can fail: an extra index in the database is reported."""
    with db.owner_engine.connect() as connection:
        connection.execute(text("CREATE INDEX ix_drift_probe ON users (email)"))
        try:
            drift = schema_drift(connection)
        finally:
            connection.rollback()
    assert any("ix_drift_probe" in repr(change) for change in drift)


# A quoted literal: an enumeration's member, a jsonb type name.
QUOTED = re.compile(r"'((?:[^']|'')*)'")
# The migration runner's own tables have no model, so no model CHECK to compare.
CHECK_DEFINITIONS = text(
    "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
    "JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE c.contype = 'c' AND n.nspname = current_schema() "
    "AND c.conrelid::regclass::text <> ALL(:bookkeeping)"
).bindparams(bookkeeping=sorted(BOOKKEEPING_TABLES))


def _literals(sql: str) -> list[str]:
    return sorted(QUOTED.findall(sql))


def _model_checks() -> dict[str, list[str]]:
    return {
        str(constraint.name): _literals(str(constraint.sqltext))
        for table in METADATA.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def _database_checks(connection: Connection) -> dict[str, list[str]]:
    return {name: _literals(sql) for name, sql in connection.execute(CHECK_DEFINITIONS)}


def test_check_constraints_match_the_models(db: MigratedDatabase) -> None:
    """Alembic does not compare CHECK constraints: compare names and the values they allow.

    The quoted literals are what drifts without a migration: a member added to a
    domain enum changes the model's CHECK (``one_of``), not the database's.
    PostgreSQL rewrites ``IN (...)`` as ``= ANY (ARRAY[...])``, so the literals are
    compared, not the text.
    """
    with db.owner_engine.connect() as connection:
        assert _database_checks(connection) == _model_checks()


def test_a_check_allowing_other_values_is_reported(db: MigratedDatabase) -> None:
    """The comparison can fail: a status CHECK missing one of the enum's members differs."""
    with db.owner_engine.connect() as connection:
        connection.execute(text("ALTER TABLE episodes DROP CONSTRAINT ck_episodes_status"))
        connection.execute(
            text(
                "ALTER TABLE episodes ADD CONSTRAINT ck_episodes_status "
                "CHECK (status IN ('DRAFT', 'GENERATING', 'PUBLISHED'))"
            )
        )
        try:
            actual = _database_checks(connection)
        finally:
            connection.rollback()
    expected = _model_checks()
    assert {name for name in expected if actual.get(name) != expected[name]} == {
        "ck_episodes_status"
    }


def test_history_is_linear() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        down = revision.down_revision
        assert down is None or isinstance(down, str), f"{revision.revision} merges branches"


def rules_for(db: MigratedDatabase) -> Rules:
    return model_rules(db.app_role, db.scheduler_role, read_listed().allowed)


def test_the_live_schema_keeps_every_rule_db_lint_checks(db: MigratedDatabase) -> None:
    """The same checks as `manyfutures db lint` (CI runs it too): tenant tables scoped,
    forced and indexed, foreign keys indexed, primary keys, names, the roles, ADR 0007."""
    rules = rules_for(db)
    with db.owner_engine.connect() as connection:
        assert lint(connection, rules) == []
        # Not vacuous: every tenant table of the models is checked as one.
        assert tenant_tables(connection, rules) == dict(rules.tenant_tables)
    assert set(rules.tenant_tables) == set(TENANT_TABLES)
    assert rules.tenant_tables["organizations"] == "id"


TENANT_INDEXES = text(
    "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
    "WHERE x.indrelid = 'user_events'::regclass AND a.attname = 'organization_id'"
)


def _drop_user_events_tenant_indexes(connection: Connection) -> None:
    for name in connection.execute(TENANT_INDEXES).scalars().all():
        connection.execute(text(f"DROP INDEX {name}"))


# Each breaks one rule inside a transaction that is rolled back: what lint must name.
BREAKAGES: list[tuple[str, list[str] | Callable[[Connection], None], tuple[str, str]]] = [
    (
        "tenant column may be NULL",
        ["ALTER TABLE projects ALTER organization_id DROP NOT NULL"],
        ("tenant-column", "projects"),
    ),
    ("no tenant index", _drop_user_events_tenant_indexes, ("tenant-index", "user_events")),
    (
        "row-level security not forced",
        ["ALTER TABLE projects NO FORCE ROW LEVEL SECURITY"],
        ("tenant-rls", "projects"),
    ),
    (
        "row-level security off",
        ["ALTER TABLE episodes DISABLE ROW LEVEL SECURITY"],
        ("tenant-rls", "episodes"),
    ),
    (
        "no tenant policy",
        ["DROP POLICY tenant_isolation ON memberships"],
        ("tenant-policy", "memberships"),
    ),
    (
        "a policy that compares something else",
        [
            "DROP POLICY tenant_isolation ON highlights",
            "CREATE POLICY tenant_isolation ON highlights USING (true) WITH CHECK (true)",
        ],
        ("tenant-policy", "highlights"),
    ),
    (
        "unindexed foreign key",
        ["CREATE TABLE fk_probe (id text PRIMARY KEY, user_id text REFERENCES users (id))"],
        ("foreign-key-index", "fk_probe"),
    ),
    (
        "no primary key",
        ["ALTER TABLE token_usage_runs DROP CONSTRAINT pk_token_usage_runs"],
        ("primary-key", "token_usage_runs"),
    ),
    (
        "badly named index",
        ["CREATE INDEX projects_by_title ON projects (title)"],
        ("naming", "projects.projects_by_title"),
    ),
    (
        "badly named column",
        ['ALTER TABLE projects ADD COLUMN "projectColour" text'],
        ("naming", "projects.projectColour"),
    ),
    (
        "badly named constraint",
        ["ALTER TABLE projects ADD CONSTRAINT title_not_empty CHECK (title <> '')"],
        ("naming", "projects.title_not_empty"),
    ),
    (
        "the operators' functions cannot read a table",
        ["DROP POLICY operations_read ON notifications"],
        ("operations-read", "notifications"),
    ),
    (
        "a SECURITY DEFINER function ADR 0007 does not list",
        [
            "CREATE FUNCTION every_project() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
            "AS 'SELECT count(*) FROM projects'"
        ],
        ("security-definer", "every_project"),
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=name) for name, change, expected in BREAKAGES],
)
def test_each_rule_names_what_breaks_it(
    db: MigratedDatabase,
    change: list[str] | Callable[[Connection], None],
    expected: tuple[str, str],
) -> None:
    with db.owner_engine.connect() as connection:
        try:
            if callable(change):
                change(connection)
            else:
                for statement in change:
                    connection.execute(text(statement))
            found = {(v.rule, v.subject) for v in lint(connection, rules_for(db))}
        finally:
            connection.rollback()
    assert expected in found


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ("ALTER TABLE projects OWNER TO {app}", "owns table projects"),
        ("ALTER ROLE {app} BYPASSRLS", "has BYPASSRLS"),
        ("ALTER ROLE {app} SUPERUSER", "is a superuser"),
    ],
)
def test_an_app_role_row_level_security_would_not_bind_is_named(
    db: MigratedDatabase, change: str, complaint: str
) -> None:
    """Role attributes are cluster-wide but transactional: rolled back, nobody sees them."""
    with db.owner_engine.connect() as connection:
        try:
            connection.execute(text(change.format(app=db.app_role)))
            found = check_app_role(connection, rules_for(db))
        finally:
            connection.rollback()
    assert [(v.rule, v.subject, v.message) for v in found] == [("app-role", db.app_role, complaint)]


def test_references_between_tenant_rows_are_composite() -> None:
    """Foreign-key checks ignore row-level security, so only a key that includes
    ``organization_id`` keeps a reference inside its organization (docs/postgres.md)."""
    references = [
        (table.name, constraint)
        for table in METADATA.sorted_tables
        if "organization_id" in table.c
        for constraint in table.foreign_key_constraints
        if constraint.referred_table.name != "organizations"
    ]
    assert references, "no reference between tenant rows left to check"
    single = [
        f"{name} -> {constraint.referred_table.name}"
        for name, constraint in references
        if ("organization_id", "organization_id")
        not in {(element.parent.name, element.column.name) for element in constraint.elements}
    ]
    assert single == []


def test_every_identifier_fits_postgres(db: MigratedDatabase) -> None:
    """Names over 63 bytes are silently truncated by PostgreSQL, then never match the model."""
    names = [
        str(item.name)
        for table in METADATA.tables.values()
        for item in [*table.constraints, *table.indexes]
    ]
    assert all(len(name) <= 63 for name in names)


def claim_language(engine: Engine) -> tuple[str, bool]:
    """The claim function's language, and whether its body is the PL/pgSQL wrapper."""
    with engine.connect() as connection:
        language, body = connection.execute(
            text(
                "SELECT l.lanname, p.prosrc FROM pg_proc AS p "
                "JOIN pg_language AS l ON l.oid = p.prolang "
                "WHERE p.proname = 'scheduler_claim_due_items'"
            )
        ).one()
    wrapped = body.strip().startswith("BEGIN RETURN QUERY") and body.strip().endswith("END")
    assert "FOR UPDATE SKIP LOCKED" in body
    return str(language), wrapped


def test_upgrade_is_idempotent_and_downgrade_returns_to_empty(db: MigratedDatabase) -> None:
    """Downgrade to base and back, in a scratch database of the same server."""
    from alembic import command

    from manyfutures.adapters.postgres.engine import create_owner_engine

    with db.scratch("scratch") as url:
        config = alembic_config(
            url.render_as_string(hide_password=False),
            app_role=db.app_role,
            scheduler_role=db.scheduler_role,
        )
        engine = create_owner_engine(url)
        try:
            upgrade(config)
            upgrade(config)  # already at head: nothing to do, no error
            assert claim_language(engine) == ("plpgsql", True)
            command.downgrade(config, "0001")
            assert claim_language(engine) == ("sql", False)
            upgrade(config)
            assert claim_language(engine) == ("plpgsql", True)
            command.downgrade(config, "base")
            with engine.connect() as connection:
                left = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tablename <> 'alembic_version'"
                    )
                ).scalar_one()
                functions = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'scheduler_%' "
                        "OR proname LIKE 'outbox_%' "
                        "OR proname IN ('token_usage_fold_into_daily', 'generation_callback_run')"
                    )
                ).scalar_one()
            assert (left, functions) == (0, 0)
            upgrade(config)
            with engine.connect() as connection:
                assert schema_drift(connection) == []
        finally:
            engine.dispose()


# What the given roles may touch among the schema's tables and functions.
GRANTED_TO_ROLES = text(
    "SELECT r.rolname, c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "CROSS JOIN pg_roles r "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
    "AND c.relname <> 'alembic_version' AND r.rolname = ANY(:roles) "
    "AND has_table_privilege(r.oid, c.oid, 'SELECT,INSERT,UPDATE,DELETE')"
    " UNION ALL "
    "SELECT r.rolname, p.proname FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace "
    "CROSS JOIN pg_roles r "
    "WHERE n.nspname = current_schema() AND r.rolname = ANY(:roles) "
    "AND has_function_privilege(r.oid, p.oid, 'EXECUTE')"
)


def test_hosted_data_api_roles_get_nothing(db: MigratedDatabase) -> None:
    """Simulate Supabase: default privileges hand anon/authenticated every new object.

    The migration takes them back, so the anon key cannot call the scheduler
    functions (or read the tables, were RLS ever relaxed). Cluster roles are
    shared, so this holds an advisory lock on the server's maintenance database
    and only drops the roles it created itself.
    """
    from manyfutures.adapters.postgres.engine import create_owner_engine

    api_roles = ("anon", "authenticated")
    admin = create_owner_engine(db.server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(20260002)"))
        existing = set(
            connection.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
                {"names": list(api_roles)},
            ).scalars()
        )
        created = [role for role in api_roles if role not in existing]
        try:
            for role in created:
                connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
            with db.scratch("hosted") as url:
                owner = create_owner_engine(url)
                with owner.begin() as setup:
                    for role in api_roles:
                        setup.execute(
                            text(f"ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO {role}")
                        )
                        setup.execute(
                            text(f"ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO {role}")
                        )
                upgrade(
                    alembic_config(
                        url.render_as_string(hide_password=False),
                        app_role=db.app_role,
                        scheduler_role=db.scheduler_role,
                    )
                )
                with owner.connect() as check:
                    granted = check.execute(GRANTED_TO_ROLES, {"roles": list(api_roles)}).all()
                owner.dispose()
            assert granted == []
        finally:
            for role in created:
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
            connection.execute(text("SELECT pg_advisory_unlock(20260002)"))
    admin.dispose()
