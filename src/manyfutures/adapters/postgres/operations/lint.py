"""``manyfutures db lint``: the live schema, read from ``pg_catalog``, against the project's rules.

Each check is a function ``(connection, rules) -> list[Violation]`` in ``CHECKS``;
``lint`` runs them all. The schema tests (tests/integration/postgres/) call these
same functions instead of keeping their own queries, so CI's ``db lint`` and the
tests cannot disagree about what the rules are. The rules (README, "Database
operations"; base.py's docstring):

* every table is a tenant table or a global one, as the models say
  (``registry.TENANT_TABLES`` / ``GLOBAL_TABLES``), or the migration runner's own;
* a tenant table has its tenant column (``organization_id``; ``organizations``: ``id``)
  NOT NULL, leading an index; row-level security enabled *and forced*; and a policy
  for every command and role whose USING and WITH CHECK both compare that column
  with ``app.current_org_id``;
* every foreign key's columns lead an index; every table has a primary key;
* names follow the naming convention (``NAME`` below, base.py's ``NAMING_CONVENTION``);
* the operators' functions can read every table (ADR 0007, migration 0009);
* the app role is no superuser, has no BYPASSRLS and owns nothing;
* every ``SECURITY DEFINER`` function is listed in ADR 0007.

A table outside the models that has an ``organization_id`` is checked as a tenant
table too, so a migration that adds one without protecting it fails on every rule
it breaks, not only on being unlisted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from manyfutures.adapters.postgres.base import tenant_column
from manyfutures.adapters.postgres.migration_history import BOOKKEEPING_TABLES
from manyfutures.adapters.postgres.registry import GLOBAL_TABLES, METADATA, TENANT_TABLES

NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*\Z")
"""snake_case: lower-case letters and digits, single underscores between words."""
# How PostgreSQL prints the tenant_isolation policy's USING and WITH CHECK (docs/postgres.md).
TENANT_POLICY_CLAUSE = (
    "({column} = NULLIF(current_setting('app.current_org_id'::text, true), ''::text))"
)
OPERATIONS_POLICY = "operations_read"
ALEMBIC_TABLE = "alembic_version"  # Alembic's, named by Alembic: exempt from our names


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.message}"


@dataclass(frozen=True, slots=True)
class Rules:
    """What the schema should be: from the models, the settings and ADR 0007."""

    tenant_tables: Mapping[str, str]
    """Each tenant table and the column that names its organization."""
    global_tables: frozenset[str]
    app_role: str
    scheduler_role: str
    definer_functions: frozenset[str]
    """The SECURITY DEFINER functions ADR 0007 names."""


def model_rules(app_role: str, scheduler_role: str, definer_functions: frozenset[str]) -> Rules:
    """The rules for this package's models."""
    tenants = {}
    for name in TENANT_TABLES:
        column = tenant_column(METADATA.tables[name])
        assert column is not None, name
        tenants[name] = column
    return Rules(tenants, frozenset(GLOBAL_TABLES), app_role, scheduler_role, definer_functions)


Check = Callable[[Connection, Rules], list[Violation]]

_TABLES = text(
    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
    "AND c.relkind IN ('r', 'p') ORDER BY c.relname"
)
_COLUMNS = text(
    "SELECT c.relname, a.attname, a.attnotnull FROM pg_attribute a "
    "JOIN pg_class c ON c.oid = a.attrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
)


def _tables(connection: Connection) -> list[str]:
    return list(connection.execute(_TABLES).scalars())


def _columns(connection: Connection) -> dict[str, dict[str, bool]]:
    """Each table's columns and whether each is NOT NULL."""
    columns: dict[str, dict[str, bool]] = {}
    for table, column, not_null in connection.execute(_COLUMNS):
        columns.setdefault(table, {})[column] = bool(not_null)
    return columns


def tenant_tables(connection: Connection, rules: Rules) -> dict[str, str]:
    """The live tables to check as tenant tables, each with its tenant column: the
    models' tenant tables, and any table outside the models with an organization_id."""
    found = {}
    columns = _columns(connection)
    for table in _tables(connection):
        if table in rules.tenant_tables:
            found[table] = rules.tenant_tables[table]
        elif (
            table not in rules.global_tables
            and table not in BOOKKEEPING_TABLES
            and "organization_id" in columns.get(table, {})
        ):
            found[table] = "organization_id"
    return found


def check_listed(connection: Connection, rules: Rules) -> list[Violation]:
    known = set(rules.tenant_tables) | rules.global_tables | BOOKKEEPING_TABLES
    return [
        Violation(
            "unlisted-table",
            table,
            "neither a tenant nor a global table of the models "
            "(registry.TENANT_TABLES / GLOBAL_TABLES)",
        )
        for table in _tables(connection)
        if table not in known
    ]


def check_tenant_column(connection: Connection, rules: Rules) -> list[Violation]:
    columns = _columns(connection)
    violations = []
    for table, column in tenant_tables(connection, rules).items():
        present = columns.get(table, {})
        if column not in present:
            violations.append(Violation("tenant-column", table, f"tenant table without {column}"))
        elif not present[column]:
            violations.append(Violation("tenant-column", table, f"{column} may be NULL"))
    return violations


_LEADING_INDEX = text(
    "SELECT count(*) FROM pg_index i JOIN pg_attribute a "
    "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
    "WHERE i.indrelid = to_regclass(:table) AND a.attname = :column"
)


def check_tenant_index(connection: Connection, rules: Rules) -> list[Violation]:
    """Every tenant read filters by the tenant column first, so an index must lead with it."""
    return [
        Violation("tenant-index", table, f"no index leads with {column}")
        for table, column in tenant_tables(connection, rules).items()
        if not connection.execute(_LEADING_INDEX, {"table": table, "column": column}).scalar_one()
    ]


_RLS = text(
    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
    "WHERE relnamespace = current_schema()::regnamespace AND relname = ANY(:tables)"
)


def check_tenant_rls(connection: Connection, rules: Rules) -> list[Violation]:
    tenants = tenant_tables(connection, rules)
    violations = []
    for table, enabled, forced in connection.execute(_RLS, {"tables": sorted(tenants)}):
        if not enabled:
            violations.append(Violation("tenant-rls", table, "row-level security is not enabled"))
        elif not forced:
            violations.append(
                Violation("tenant-rls", table, "row-level security is not forced (owner bypasses)")
            )
    return violations


_POLICIES = text(
    "SELECT tablename, qual, with_check FROM pg_policies "
    "WHERE schemaname = current_schema() AND cmd = 'ALL' AND roles = '{public}'"
)


def check_tenant_policy(connection: Connection, rules: Rules) -> list[Violation]:
    scoped = {
        table
        for table, qual, with_check in connection.execute(_POLICIES)
        for column in [rules.tenant_tables.get(table, "organization_id")]
        if qual == with_check == TENANT_POLICY_CLAUSE.format(column=column)
    }
    return [
        Violation(
            "tenant-policy",
            table,
            f"no policy for every command and role with USING and WITH CHECK "
            f"({column} = NULLIF(current_setting('app.current_org_id', true), ''))",
        )
        for table, column in tenant_tables(connection, rules).items()
        if table not in scoped
    ]


_UNINDEXED_FOREIGN_KEYS = text(
    """
    SELECT c.conrelid::regclass::text, c.conname
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
       AND NOT EXISTS (
           SELECT 1 FROM pg_index i
            WHERE i.indrelid = c.conrelid
              AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
              AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
       )
     ORDER BY 1, 2
    """
)


def check_foreign_key_indexes(connection: Connection, rules: Rules) -> list[Violation]:
    """Unindexed foreign keys make parent deletes and joins scan the child table."""
    return [
        Violation("foreign-key-index", table, f"{name}: no index leads with its columns")
        for table, name in connection.execute(_UNINDEXED_FOREIGN_KEYS)
    ]


_WITHOUT_PRIMARY_KEY = text(
    "SELECT c.relname FROM pg_class c "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') "
    "ORDER BY 1"
)


def check_primary_keys(connection: Connection, rules: Rules) -> list[Violation]:
    return [
        Violation("primary-key", table, "table without a primary key")
        for table in connection.execute(_WITHOUT_PRIMARY_KEY).scalars()
    ]


_CONSTRAINTS = text(
    "SELECT c.relname, k.conname, k.contype, "
    "(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = k.conrelid "
    " AND a.attnum = k.conkey[1]), r.relname "
    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
    "LEFT JOIN pg_class r ON r.oid = k.confrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('p', 'u', 'f', 'c') "
    "ORDER BY 1, 2"
)
_INDEXES = text(
    "SELECT c.relname, i.relname, x.indisunique FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid "
    "AND k.conrelid = x.indrelid) ORDER BY 1, 2"
)


def expected_constraint_name(
    kind: str, table: str, first_column: str | None, referred: str | None
) -> tuple[str, bool]:
    """The name (True) or the prefix (False) base.NAMING_CONVENTION gives a constraint of
    ``pg_constraint.contype`` ``kind``."""
    if kind == "p":
        return f"pk_{table}", True
    if kind == "f":
        return f"fk_{table}_{first_column}_{referred}", True
    prefix = "uq" if kind == "u" else "ck"
    return f"{prefix}_{table}_", False


def check_names(connection: Connection, rules: Rules) -> list[Violation]:
    violations = []
    for table, columns in _columns(connection).items():
        if not NAME.match(table):
            violations.append(Violation("naming", table, "table name is not snake_case"))
        violations.extend(
            Violation("naming", f"{table}.{column}", "column name is not snake_case")
            for column in columns
            if not NAME.match(column)
        )
    for table, name, kind, first_column, referred in connection.execute(_CONSTRAINTS):
        if table == ALEMBIC_TABLE:
            continue
        expected, whole = expected_constraint_name(kind, table, first_column, referred)
        if (name != expected) if whole else not name.startswith(expected):
            wanted = expected if whole else f"{expected}<…>"
            violations.append(Violation("naming", f"{table}.{name}", f"should be named {wanted}"))
    for table, name, unique in connection.execute(_INDEXES):
        prefixes = (f"ix_{table}_", f"uq_{table}_") if unique else (f"ix_{table}_",)
        if not name.startswith(prefixes):
            wanted = " or ".join(f"{prefix}<…>" for prefix in prefixes)
            violations.append(
                Violation("naming", f"{table}.{name}", f"index should be named {wanted}")
            )
    return violations


_OPERATIONS_UNREADABLE = text(
    "SELECT c.relname, has_table_privilege(:role, c.oid, 'SELECT') AS granted, "
    "NOT c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_policy p "
    " WHERE p.polrelid = c.oid AND p.polname = :policy) AS visible "
    "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
    "AND c.relkind IN ('r', 'p') ORDER BY 1"
)


def check_operations_read(connection: Connection, rules: Rules) -> list[Violation]:
    """``db tables`` and ``db preview`` read through the scheduler role's functions; a
    table it cannot read would be refused by them (ADR 0007, migration 0009)."""
    if not _role_exists(connection, rules.scheduler_role):
        return [Violation("operations-read", rules.scheduler_role, "the scheduler role is missing")]
    violations = []
    parameters = {"role": rules.scheduler_role, "policy": OPERATIONS_POLICY}
    for table, granted, visible in connection.execute(_OPERATIONS_UNREADABLE, parameters):
        missing = [
            *([f"GRANT SELECT ON {table} TO {rules.scheduler_role}"] if not granted else []),
            *([f"policy {OPERATIONS_POLICY} FOR SELECT TO it"] if not visible else []),
        ]
        if missing:
            violations.append(
                Violation(
                    "operations-read",
                    table,
                    f"the operators' functions cannot read it: needs {' and '.join(missing)}",
                )
            )
    return violations


_ROLE = text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role")
_OWNED = text(
    "SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'view ' "
    "WHEN 'S' THEN 'sequence ' ELSE 'table ' END || c.relname FROM pg_class c "
    "WHERE c.relowner = to_regrole(:role) AND c.relnamespace = current_schema()::regnamespace "
    "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
    "UNION ALL SELECT 'function ' || p.proname FROM pg_proc p WHERE p.proowner = to_regrole(:role) "
    "UNION ALL SELECT 'schema ' || n.nspname FROM pg_namespace n "
    "WHERE n.nspowner = to_regrole(:role) "
    "UNION ALL SELECT 'type ' || t.typname FROM pg_type t "
    "WHERE t.typowner = to_regrole(:role) AND t.typrelid = 0 AND t.typcategory <> 'A' "
    "UNION ALL SELECT 'database ' || d.datname FROM pg_database d "
    "WHERE d.datdba = to_regrole(:role) AND d.datname = current_database() "
    "ORDER BY 1"
)


def _role_exists(connection: Connection, role: str) -> bool:
    return connection.execute(_ROLE, {"role": role}).first() is not None


def check_app_role(connection: Connection, rules: Rules) -> list[Violation]:
    """The service connects as the app role: row-level security must bind it, and an
    owner could switch row-level security off on what it owns."""
    role = rules.app_role
    facts = connection.execute(_ROLE, {"role": role}).first()
    if facts is None:
        return [Violation("app-role", role, "the app role does not exist")]
    violations = []
    if facts.rolsuper:
        violations.append(Violation("app-role", role, "is a superuser"))
    if facts.rolbypassrls:
        violations.append(Violation("app-role", role, "has BYPASSRLS"))
    violations.extend(
        Violation("app-role", role, f"owns {owned}")
        for owned in connection.execute(_OWNED, {"role": role}).scalars()
    )
    return violations


_DEFINERS = text(
    "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace "
    "AND p.prosecdef ORDER BY 1"
)


def check_definer_functions(connection: Connection, rules: Rules) -> list[Violation]:
    return [
        Violation(
            "security-definer",
            name,
            "SECURITY DEFINER function not listed in docs/adr/0007-cross-tenant-functions.md",
        )
        for name in connection.execute(_DEFINERS).scalars()
        if name not in rules.definer_functions
    ]


CHECKS: Sequence[Check] = (
    check_listed,
    check_tenant_column,
    check_tenant_index,
    check_tenant_rls,
    check_tenant_policy,
    check_foreign_key_indexes,
    check_primary_keys,
    check_names,
    check_operations_read,
    check_app_role,
    check_definer_functions,
)


def lint(connection: Connection, rules: Rules) -> list[Violation]:
    """Every violation of every check, in ``CHECKS`` order."""
    return [violation for check in CHECKS for violation in check(connection, rules)]
