"""Database operations: the migration history table and the operators' two cross-tenant reads.

Revision ID: database_operations
Revises: outbox_html
Create Date: 2026-11-30

* ``migration_history``: one row per migration step, written by the migration runner
  (migrations/env.py, adapters/postgres/migration_history.py), never by the service:
  the app role gets nothing on it.
* ``operations_table_rows(exact_below)`` and ``operations_newest_rows(table, order,
  limit)``: ``manyfutures db tables`` counts the rows of every table and ``db preview``
  shows the newest rows of one, across organizations. Row-level security is forced,
  so it binds the owner too (on hosted PostgreSQL the owner is no superuser); these
  two SECURITY DEFINER functions are the way across it, never switching it off. They
  are listed in ADR 0007 like every cross-tenant function and owned by the same
  NOLOGIN scheduler role, but only the migration's owner may run them: the service
  has no business reading every organization's rows.
* To read, the scheduler role gets SELECT on every table there is now and a policy
  ``operations_read`` (SELECT only, every row) on each table under row-level
  security. A table added later needs both from its own migration;
  ``manyfutures db lint`` names any table that lacks them, and the functions refuse
  it rather than report it empty.

Downgrade drops the table, the functions, the policies and the grants, and leaves the
scheduler role exactly the reads it had before (a test compares every grant).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "database_operations"
down_revision: str | None = "outbox_html"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = "migration_history"
POLICY = "operations_read"
FUNCTIONS = (
    "operations_table_rows(bigint)",
    "operations_newest_rows(text, text[], integer)",
)
HOSTED_API_ROLES = ("anon", "authenticated")
# The scheduler role's table-wide reads before this migration (0001's claim, 0003's
# dispatcher); its other reads are column grants, kept by downgrade() as they are.
EARLIER_TABLE_READS = ("episode_schedule_queue", "outbox_messages")
TABLES_HERE = (
    "SELECT c.relname, c.relrowsecurity FROM pg_class AS c "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
    "ORDER BY c.relname"
)


def upgrade() -> None:
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    _create_history()
    for table, row_level_security in op.get_bind().exec_driver_sql(TABLES_HERE).all():
        op.execute(f'GRANT SELECT ON "{table}" TO {scheduler_role}')
        if row_level_security:
            op.execute(
                f'CREATE POLICY {POLICY} ON "{table}" FOR SELECT TO {scheduler_role} USING (true)'
            )
    _create_functions(schema, scheduler_role)
    _close_hosted_api_roles()


def downgrade() -> None:
    """Take back exactly what upgrade() gave. Revoking a table's SELECT revokes its column
    SELECT grants too, so the scheduler role's column reads (0001, 0004, 0005) are read
    first and granted again after, and its earlier table-wide reads granted again."""
    scheduler_role = context.config.attributes["scheduler_role"]
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.drop_table(HISTORY)
    bind = op.get_bind()
    column_reads = bind.exec_driver_sql(COLUMN_READS, (scheduler_role,)).all()
    for table, _ in bind.exec_driver_sql(TABLES_HERE).all():
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'REVOKE SELECT ON "{table}" FROM {scheduler_role}')
    for table, columns in column_reads:
        op.execute(f'GRANT SELECT ({columns}) ON "{table}" TO {scheduler_role}')
    for table in EARLIER_TABLE_READS:
        op.execute(f"GRANT SELECT ON {table} TO {scheduler_role}")


# The role's column-level SELECT grants, per table, as a column list.
COLUMN_READS = (
    "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) "
    "FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid, "
    "aclexplode(a.attacl) AS x "
    "WHERE c.relnamespace = current_schema()::regnamespace AND x.privilege_type = 'SELECT' "
    "AND x.grantee = to_regrole(%s) GROUP BY c.relname ORDER BY c.relname"
)


def _create_history() -> None:
    op.create_table(
        HISTORY,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("revision", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        # NULL for a revision applied before this table existed (migration_history.py).
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.Text(), nullable=True),
        sa.Column("package_version", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "direction IN ('upgrade', 'downgrade')", name=op.f("ck_migration_history_direction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_history")),
    )


# A table the functions may read: SELECT granted to their owner, and under row-level
# security the policy that lets it see every row. Anything else would count as empty.
READABLE = (
    "has_table_privilege(c.oid, 'SELECT') AND (NOT c.relrowsecurity OR EXISTS "
    f"(SELECT 1 FROM pg_policy AS p WHERE p.polrelid = c.oid AND p.polname = '{POLICY}'))"
)

UNREADABLE = (
    "table % is not readable by the operations functions "
    f"(no SELECT grant or no {POLICY} policy for their owner)"
)


def _create_functions(schema: str, scheduler_role: str) -> None:
    definer = f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    # Each table is counted up to exact_below + 1 rows, so a count costs at most that
    # many rows whatever the table's size; above it, the planner's estimate (reltuples,
    # -1 when the table was never analysed: NULL here).
    op.execute(
        f"""
        CREATE FUNCTION operations_table_rows(p_exact_below bigint)
        RETURNS TABLE (table_name text, readable boolean, exact_rows bigint,
                       estimated_rows bigint, total_bytes bigint)
        LANGUAGE plpgsql STABLE {definer} AS $$
        DECLARE
            t record;
            counted bigint;
        BEGIN
            IF p_exact_below IS NULL OR p_exact_below < 0 THEN
                RAISE EXCEPTION 'exact_below must be 0 or more, not %', p_exact_below
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            FOR t IN
                SELECT c.relname, c.reltuples, pg_total_relation_size(c.oid) AS bytes,
                       {READABLE} AS readable
                  FROM pg_class AS c
                 WHERE c.relnamespace = '{schema}'::regnamespace AND c.relkind IN ('r', 'p')
                 ORDER BY c.relname
            LOOP
                table_name := t.relname;
                readable := t.readable;
                total_bytes := t.bytes;
                exact_rows := NULL;
                estimated_rows := CASE WHEN t.reltuples >= 0 THEN t.reltuples::bigint END;
                IF t.readable THEN
                    EXECUTE format(
                        'SELECT count(*) FROM (SELECT 1 FROM %I LIMIT %s) AS bounded',
                        t.relname, p_exact_below + 1
                    ) INTO counted;
                    IF counted <= p_exact_below THEN
                        exact_rows := counted;
                    END IF;
                END IF;
                RETURN NEXT;
            END LOOP;
        END
        $$
        """
    )
    # ``p_order`` names the columns to sort by, newest first; each is quoted with %I.
    op.execute(
        f"""
        CREATE FUNCTION operations_newest_rows(p_table text, p_order text[], p_limit integer)
        RETURNS SETOF jsonb
        LANGUAGE plpgsql STABLE {definer} AS $$
        DECLARE
            target record;
            ordering text;
        BEGIN
            SELECT c.relname, {READABLE} AS readable INTO target
              FROM pg_class AS c
             WHERE c.relnamespace = '{schema}'::regnamespace AND c.relkind IN ('r', 'p')
               AND c.relname = p_table;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no table % in schema {schema}', p_table
                    USING ERRCODE = 'undefined_table';
            END IF;
            IF NOT target.readable THEN
                RAISE EXCEPTION '{UNREADABLE}', p_table
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT string_agg(format('%I DESC NULLS LAST', o.name), ', ' ORDER BY o.position)
              INTO ordering
              FROM unnest(p_order) WITH ORDINALITY AS o(name, position);
            RETURN QUERY EXECUTE format(
                'SELECT to_jsonb(t) FROM %I AS t ORDER BY %s LIMIT %s',
                p_table, coalesce(ordering, 'NULL'), greatest(p_limit, 0)
            );
        END
        $$
        """
    )
    # As in 0001: owning a function needs membership in its owner role.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT pg_has_role(current_user, '{scheduler_role}', 'MEMBER') THEN
                EXECUTE format('GRANT %I TO %I', '{scheduler_role}', current_user);
            END IF;
        END
        $$
        """
    )
    for signature in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {scheduler_role}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        # The owner runs them (manyfutures db tables / preview); nobody else.
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO CURRENT_USER")


def _close_hosted_api_roles() -> None:
    """As 0001 does for its objects: a hosted Data API's roles get nothing of these."""
    objects = [f"TABLE {HISTORY}", *(f"FUNCTION {signature}" for signature in FUNCTIONS)]
    revokes = "\n".join(
        f"EXECUTE format('REVOKE ALL ON {target} FROM %I', api_role);" for target in objects
    )
    op.execute(
        f"""
        DO $$
        DECLARE api_role text;
        BEGIN
            FOREACH api_role IN ARRAY ARRAY{list(HOSTED_API_ROLES)!r}::text[] LOOP
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                    {revokes}
                END IF;
            END LOOP;
        END
        $$
        """
    )
