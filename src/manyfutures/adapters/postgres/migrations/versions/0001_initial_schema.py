"""Initial schema: tables, the app and scheduler roles, row-level security, the usage trigger.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Everything the service needs from the database is here and nowhere else, so a
fresh database is one ``manyfutures db upgrade`` away from ready. The table DDL
was generated from the table models (then ``tables.py``, now each capability's
module, gathered in ``registry.METADATA``) and must stay equal to them (a test
compares the migrated database with the models). What Alembic cannot generate is
written out below as SQL, each part with its reason:

* roles — the app role (LOGIN, NOSUPERUSER, NOBYPASSRLS, owns nothing) and the
  NOLOGIN scheduler role that owns the cross-tenant functions (ADR 0002);
* grants — the app role gets exactly the statements it uses per table: the
  ledgers (``token_usage``, ``audit_log``, ``user_events``, ``chat_messages``)
  are append-only, the daily aggregate is read-only, soft-deleted projects are
  never deleted;
* row-level security — enabled *and forced* on every tenant table, one policy
  ``tenant_isolation`` comparing ``organization_id`` (for ``organizations``:
  ``id``) with the transaction's ``app.current_org_id``; ``NULLIF(…, '')`` turns
  "no organization set" into NULL, which matches no row;
* the ``token_usage`` trigger that folds each raw row into ``token_usage_daily``
  with ``INSERT … ON CONFLICT DO UPDATE`` (it mirrors ``TokenUsageDaily.add``);
* the scheduler's three SECURITY DEFINER functions.

Roles are cluster-wide and may serve other databases, so downgrade leaves them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"

# What the app role may do, per table. Anything not listed is refused.
APP_PRIVILEGES: dict[str, str] = {
    "organizations": "SELECT, INSERT, UPDATE",
    "users": "SELECT, INSERT, UPDATE",
    "memberships": "SELECT, INSERT, UPDATE, DELETE",
    "projects": "SELECT, INSERT, UPDATE",
    "episodes": "SELECT, INSERT, UPDATE",
    "blocks": "SELECT, INSERT, UPDATE",
    "episode_schedule_queue": "SELECT, INSERT, UPDATE",
    "generation_runs": "SELECT, INSERT, UPDATE",
    "token_usage": "SELECT, INSERT",
    "token_usage_daily": "SELECT",
    "planning_notes": "SELECT, INSERT, UPDATE",
    "agent_memory": "SELECT, INSERT, UPDATE, DELETE",
    "user_events": "SELECT, INSERT",
    "audit_log": "SELECT, INSERT",
    "chat_sessions": "SELECT, INSERT, UPDATE",
    "chat_messages": "SELECT, INSERT",
    "highlights": "SELECT, INSERT, UPDATE, DELETE",
    "notifications": "SELECT, INSERT, UPDATE",
}
GLOBAL_TABLES = ("users",)
TENANT_TABLES = (
    "organizations",
    "memberships",
    "projects",
    "episodes",
    "blocks",
    "episode_schedule_queue",
    "generation_runs",
    "token_usage",
    "token_usage_daily",
    "token_usage_daily_episodes",
    "planning_notes",
    "agent_memory",
    "user_events",
    "audit_log",
    "chat_sessions",
    "chat_messages",
    "highlights",
    "notifications",
)


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    _create_tables()
    _create_roles(app_role, scheduler_role)
    _grant_app_privileges(app_role, schema)
    _enable_row_level_security()
    _create_usage_trigger(schema)
    _create_scheduler_path(app_role, scheduler_role, schema)
    _close_hosted_api_roles()


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS scheduler_due_projects(timestamptz, integer)")
    op.execute(
        "DROP FUNCTION IF EXISTS scheduler_claim_due_items(timestamptz, interval, integer, integer)"
    )
    op.execute("DROP FUNCTION IF EXISTS scheduler_abandoned_items(timestamptz, integer)")
    op.execute("DROP TRIGGER IF EXISTS token_usage_fold_into_daily ON token_usage")
    op.execute("DROP FUNCTION IF EXISTS token_usage_fold_into_daily()")
    _drop_tables()


HOSTED_API_ROLES = ("anon", "authenticated")
FUNCTIONS = (
    "token_usage_fold_into_daily()",
    "scheduler_due_projects(timestamptz, integer)",
    "scheduler_claim_due_items(timestamptz, interval, integer, integer)",
    "scheduler_abandoned_items(timestamptz, integer)",
)


def _close_hosted_api_roles() -> None:
    """Take back what a hosted Data API's default privileges hand out.

    Supabase exposes ``public`` through PostgREST as ``anon``/``authenticated`` and
    its default privileges grant those roles everything on each new table and
    function. Row-level security would still hide the rows (they cannot set
    ``app.current_org_id``), but the scheduler functions would be callable by
    anyone with the project's anon key. Where those roles exist, every privilege
    on this schema's objects is revoked from them; elsewhere this does nothing.
    """
    objects = [f"TABLE {table}" for table in (*TENANT_TABLES, *GLOBAL_TABLES)]
    objects += [f"FUNCTION {signature}" for signature in FUNCTIONS]
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


def _create_roles(app_role: str, scheduler_role: str) -> None:
    """Create the roles if missing; refuse to go on if an existing one is unsafe.

    ``CREATE ROLE`` races with a concurrent migration of another database on the
    same server, hence the exception handlers. Changing an existing role's
    SUPERUSER/BYPASSRLS needs a superuser (Supabase's ``postgres`` is not one), so
    an unsafe existing role is an error to fix by hand, not something to alter.
    """
    for name, login in ((app_role, "LOGIN"), (scheduler_role, "NOLOGIN")):
        op.execute(
            f"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
                    BEGIN
                        CREATE ROLE {name} {login} NOSUPERUSER NOBYPASSRLS
                            NOCREATEDB NOCREATEROLE NOREPLICATION;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN
                        NULL;
                    END;
                END IF;
                IF EXISTS (
                    SELECT 1 FROM pg_roles
                    WHERE rolname = '{name}' AND (rolsuper OR rolbypassrls)
                ) THEN
                    RAISE EXCEPTION 'role {name} is a superuser or has BYPASSRLS; '
                        'row-level security would not apply to it';
                END IF;
            END
            $$
            """
        )


def _grant_app_privileges(app_role: str, schema: str) -> None:
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {app_role}')
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f"GRANT {privileges} ON {table} TO {app_role}")


def _enable_row_level_security() -> None:
    for table in TENANT_TABLES:
        column = "id" if table == "organizations" else "organization_id"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        # FORCE: the owner is bound too, unless it is a superuser or has BYPASSRLS.
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({column} = {ORG_SETTING}) WITH CHECK ({column} = {ORG_SETTING})"
        )


def _create_usage_trigger(schema: str) -> None:
    """Fold every raw usage row into its (organization, UTC day) aggregate.

    Mirrors ``TokenUsageDaily.add``: totals, a per-operation breakdown, tokens per
    UTC hour with the peak (ties go to the earliest hour, as in the domain's
    ``peak_hour``), ``last_updated`` = the row's ``created_at``, and
    ``episode_count`` = distinct episodes that day.

    Concurrency: the upsert of the daily row comes first, so its row lock orders
    concurrent inserts for the same organization and day; totals are added to the
    latest committed values, never to a stale read. Distinct episodes are counted
    through ``token_usage_daily_episodes`` (ON CONFLICT DO NOTHING; counted only
    when a row went in), exact whatever the interleaving or the order of ids.

    SECURITY DEFINER (owned by the migration owner) because the app role may read
    the aggregate but not write it; the function still runs under row-level
    security, and the app role's own insert into token_usage was already checked
    against its organization.
    """
    op.execute(
        f"""
        CREATE FUNCTION token_usage_fold_into_daily() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
        DECLARE
            usage_day date := (NEW.created_at AT TIME ZONE 'UTC')::date;
            usage_hour integer := extract(hour FROM NEW.created_at AT TIME ZONE 'UTC')::integer;
            hour_key text := usage_hour::text;
            tokens bigint := NEW.prompt_tokens::bigint + NEW.completion_tokens::bigint;
        BEGIN
            INSERT INTO token_usage_daily AS d (
                organization_id, date, total_tokens, total_cost_gbp, episode_count,
                operation_breakdown, hourly_tokens, hourly_peak, peak_hour, last_updated
            ) VALUES (
                NEW.organization_id, usage_day, tokens, NEW.cost_gbp, 0,
                jsonb_build_object(
                    NEW.operation,
                    jsonb_build_object('tokens', tokens, 'cost_gbp', NEW.cost_gbp::text)
                ),
                jsonb_build_object(hour_key, tokens), tokens, usage_hour, NEW.created_at
            )
            ON CONFLICT (organization_id, date) DO UPDATE SET
                total_tokens = d.total_tokens + tokens,
                total_cost_gbp = d.total_cost_gbp + NEW.cost_gbp,
                operation_breakdown = d.operation_breakdown || jsonb_build_object(
                    NEW.operation,
                    jsonb_build_object(
                        'tokens',
                        COALESCE((d.operation_breakdown -> NEW.operation ->> 'tokens')::bigint, 0)
                            + tokens,
                        'cost_gbp',
                        (COALESCE(
                            (d.operation_breakdown -> NEW.operation ->> 'cost_gbp')::numeric, 0
                        ) + NEW.cost_gbp)::text
                    )
                ),
                hourly_tokens = d.hourly_tokens || jsonb_build_object(
                    hour_key, COALESCE((d.hourly_tokens ->> hour_key)::bigint, 0) + tokens
                ),
                hourly_peak = GREATEST(
                    d.hourly_peak, COALESCE((d.hourly_tokens ->> hour_key)::bigint, 0) + tokens
                ),
                peak_hour = CASE
                    WHEN COALESCE((d.hourly_tokens ->> hour_key)::bigint, 0) + tokens
                        > d.hourly_peak THEN usage_hour
                    WHEN COALESCE((d.hourly_tokens ->> hour_key)::bigint, 0) + tokens
                        = d.hourly_peak AND usage_hour < d.peak_hour THEN usage_hour
                    ELSE d.peak_hour
                END,
                last_updated = NEW.created_at;

            IF NEW.episode_id IS NOT NULL THEN
                INSERT INTO token_usage_daily_episodes (organization_id, date, episode_id)
                VALUES (NEW.organization_id, usage_day, NEW.episode_id)
                ON CONFLICT DO NOTHING;
                IF FOUND THEN
                    UPDATE token_usage_daily
                       SET episode_count = episode_count + 1
                     WHERE organization_id = NEW.organization_id AND date = usage_day;
                END IF;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION token_usage_fold_into_daily() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER token_usage_fold_into_daily AFTER INSERT ON token_usage "
        "FOR EACH ROW EXECUTE FUNCTION token_usage_fold_into_daily()"
    )


def _create_scheduler_path(app_role: str, scheduler_role: str, schema: str) -> None:
    """The only way across tenants: three functions owned by a NOLOGIN role (ADR 0002).

    The scheduler role may read five columns of ``projects`` and read/claim
    ``episode_schedule_queue`` in every organization, through policies that name
    it; nobody can log in as it. The app role may only EXECUTE the functions, so
    what crosses tenants is exactly what their bodies do.

    The claim is one statement (UPDATE … FROM … RETURNING) with two locking
    reads, one per kind of claimable item, each walking its own partial index in
    due order with ``FOR UPDATE SKIP LOCKED``, merged and cut to the batch. A
    single ``WHERE (pending AND due) OR (processing AND lease expired)`` read would
    have to walk an index that also holds every in-flight item, and step over
    all of them on each claim; here claimed items leave the pending index and
    only expired leases are looked at. At most one batch of extra rows stays
    locked until the statement's transaction ends, which only makes concurrent
    claimers skip them for that moment.
    """
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {scheduler_role}')
    op.execute(
        "GRANT SELECT (id, organization_id, status, next_scheduled_at, deleted_at) "
        f"ON projects TO {scheduler_role}"
    )
    op.execute(f"GRANT SELECT ON episode_schedule_queue TO {scheduler_role}")
    op.execute(
        "GRANT UPDATE (status, attempt_count, picked_up_at, last_attempt_at, lease_expires_at) "
        f"ON episode_schedule_queue TO {scheduler_role}"
    )
    op.execute(
        f"CREATE POLICY scheduler_discovery ON projects FOR SELECT TO {scheduler_role} USING (true)"
    )
    op.execute(
        f"CREATE POLICY scheduler_read ON episode_schedule_queue FOR SELECT TO {scheduler_role} "
        "USING (true)"
    )
    op.execute(
        "CREATE POLICY scheduler_claim ON episode_schedule_queue FOR UPDATE "
        f"TO {scheduler_role} USING (true) WITH CHECK (true)"
    )
    definer = f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    op.execute(
        f"""
        CREATE FUNCTION scheduler_due_projects(p_now timestamptz, p_limit integer)
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE {definer} AS $$
            SELECT p.organization_id, p.id
              FROM projects AS p
             WHERE p.status = 'ACTIVE'
               AND p.deleted_at IS NULL
               AND p.next_scheduled_at <= p_now
             ORDER BY p.next_scheduled_at, p.id
             LIMIT p_limit
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION scheduler_claim_due_items(
            p_now timestamptz, p_lease interval, p_batch integer, p_max_attempts integer
        )
        RETURNS SETOF episode_schedule_queue
        LANGUAGE sql VOLATILE {definer} AS $$
            WITH due AS (
                SELECT c.id, c.available_at
                  FROM episode_schedule_queue AS c
                 WHERE c.status = 'pending'
                   AND c.available_at <= p_now
                   AND c.attempt_count < p_max_attempts
                 ORDER BY c.available_at, c.id
                 LIMIT p_batch
                   FOR UPDATE SKIP LOCKED
            ), expired AS (
                SELECT c.id, c.available_at
                  FROM episode_schedule_queue AS c
                 WHERE c.status = 'processing'
                   AND c.lease_expires_at <= p_now
                   AND c.attempt_count < p_max_attempts
                 ORDER BY c.available_at, c.id
                 LIMIT p_batch
                   FOR UPDATE SKIP LOCKED
            ), chosen AS (
                SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS both_kinds
                 ORDER BY available_at, id
                 LIMIT p_batch
            ), claimed AS (
                UPDATE episode_schedule_queue AS q
                   SET status = 'processing',
                       attempt_count = q.attempt_count + 1,
                       picked_up_at = p_now,
                       last_attempt_at = p_now,
                       lease_expires_at = p_now + p_lease
                  FROM chosen
                 WHERE q.id = chosen.id
                RETURNING q.*
            )
            SELECT * FROM claimed ORDER BY available_at, id
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION scheduler_abandoned_items(p_now timestamptz, p_max_attempts integer)
        RETURNS TABLE (organization_id text, resource_id text)
        LANGUAGE sql STABLE {definer} AS $$
            SELECT q.organization_id, q.id
              FROM episode_schedule_queue AS q
             WHERE q.status = 'processing'
               AND q.lease_expires_at <= p_now
               AND q.attempt_count >= p_max_attempts
             ORDER BY q.available_at, q.id
        $$
        """
    )
    signatures = (
        "scheduler_due_projects(timestamptz, integer)",
        "scheduler_claim_due_items(timestamptz, interval, integer, integer)",
        "scheduler_abandoned_items(timestamptz, integer)",
    )
    # Owning the functions needs membership in the role (superusers have it already;
    # a CREATEROLE owner such as Supabase's postgres grants it to itself here).
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
    for signature in signatures:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {scheduler_role}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


def _create_tables() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("daily_cost_limit_gbp", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "enabled_features",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "experimental_features",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "daily_cost_limit_gbp >= 0", name=op.f("ck_organizations_limit_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(collation="C"), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_log_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_organization_id_created_at",
        "audit_log",
        ["organization_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_audit_log_organization_id_resource_id",
        "audit_log",
        ["organization_id", "resource_id"],
        unique=False,
        postgresql_where=sa.text("resource_id IS NOT NULL"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_memberships_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "organization_id", "user_id", name=op.f("uq_memberships_organization_id_user_id")
        ),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notifications_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_organization_id_user_id_id",
        "notifications",
        ["organization_id", "user_id", "id"],
        unique=False,
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("created_by", sa.Text(collation="C"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("onboarding_brief", sa.Text(), nullable=False),
        sa.Column("cadence_mode", sa.Text(), nullable=False),
        sa.Column("cadence_days", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("cadence_delivery_time", sa.Time(), nullable=False),
        sa.Column("cadence_timezone", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("next_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "memories",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("memory_storage", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.Text(collation="C"), nullable=True),
        sa.CheckConstraint(
            "cadence_mode IN ('daily', 'weekdays', 'weekly', 'custom')",
            name=op.f("ck_projects_cadence_mode"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(memories) = 'array'", name=op.f("ck_projects_memories_array")
        ),
        sa.CheckConstraint(
            "memory_storage IN ('json', 'table')", name=op.f("ck_projects_memory_storage")
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'PAUSED', 'ARCHIVED')", name=op.f("ck_projects_status")
        ),
        sa.CheckConstraint(
            "cadence_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]",
            name=op.f("ck_projects_cadence_days"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_projects_version_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_projects_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_projects_id_organization_id")),
    )
    op.create_index(
        "ix_projects_due",
        "projects",
        ["next_scheduled_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE' AND deleted_at IS NULL"),
    )
    op.create_index(
        "ix_projects_organization_id_id", "projects", ["organization_id", "id"], unique=False
    )
    op.create_table(
        "token_usage",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=True),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=True),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_gbp", sa.Numeric(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "operation IN ('episode_generation', 'project_onboarding', 'chat')",
            name=op.f("ck_token_usage_operation"),
        ),
        sa.CheckConstraint("cost_gbp >= 0", name=op.f("ck_token_usage_cost_not_negative")),
        sa.CheckConstraint(
            "prompt_tokens >= 0 AND completion_tokens >= 0",
            name=op.f("ck_token_usage_tokens_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_token_usage_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_usage")),
    )
    op.create_index(
        "ix_token_usage_organization_id_created_at",
        "token_usage",
        ["organization_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_token_usage_organization_id_project_id",
        "token_usage",
        ["organization_id", "project_id"],
        unique=False,
        postgresql_where=sa.text("project_id IS NOT NULL"),
    )
    op.create_table(
        "token_usage_daily",
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_cost_gbp", sa.Numeric(), nullable=False),
        sa.Column("episode_count", sa.Integer(), nullable=False),
        sa.Column("operation_breakdown", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hourly_tokens", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hourly_peak", sa.BigInteger(), nullable=False),
        sa.Column("peak_hour", sa.SmallInteger(), nullable=True),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "peak_hour BETWEEN 0 AND 23", name=op.f("ck_token_usage_daily_peak_hour_range")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_token_usage_daily_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "date", name=op.f("pk_token_usage_daily")),
    )
    op.create_table(
        "token_usage_daily_episodes",
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_token_usage_daily_episodes_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "date", "episode_id", name=op.f("pk_token_usage_daily_episodes")
        ),
    )
    op.create_table(
        "user_events",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column(
            "event_data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_user_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_events")),
    )
    op.create_index(
        "ix_user_events_organization_id_created_at",
        "user_events",
        ["organization_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_user_events_organization_id_event_type_id",
        "user_events",
        ["organization_id", "event_type", "id"],
        unique=False,
    )
    op.create_table(
        "agent_memory",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("memory_type", sa.Text(), nullable=False),
        sa.Column("importance", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "importance BETWEEN 0 AND 1", name=op.f("ck_agent_memory_importance_range")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_agent_memory_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_agent_memory_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_memory")),
    )
    op.create_index(
        "ix_agent_memory_organization_id_project_id_id",
        "agent_memory",
        ["organization_id", "project_id", "id"],
        unique=False,
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reading_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "sources",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("generation_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "generation_errors",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("progress_stage", sa.Text(), nullable=True),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "jsonb_typeof(sources) = 'array'", name=op.f("ck_episodes_sources_array")
        ),
        sa.CheckConstraint(
            "progress_stage IN ('research', 'writing', 'review')",
            name=op.f("ck_episodes_progress_stage"),
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'GENERATING', 'PUBLISHED', 'FAILED')",
            name=op.f("ck_episodes_status"),
        ),
        sa.CheckConstraint(
            "generation_attempts >= 0", name=op.f("ck_episodes_generation_attempts")
        ),
        sa.CheckConstraint(
            "progress_percent BETWEEN 0 AND 100", name=op.f("ck_episodes_progress_percent")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_episodes_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_episodes_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_episodes_id_organization_id")),
    )
    op.create_index(
        "ix_episodes_organization_id_project_id_id",
        "episodes",
        ["organization_id", "project_id", "id"],
        unique=False,
    )
    op.create_table(
        "blocks",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN ('MARKDOWN')", name=op.f("ck_blocks_type")),
        sa.CheckConstraint("confidence BETWEEN 0 AND 1", name=op.f("ck_blocks_confidence_range")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_blocks_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_blocks_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_blocks_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_blocks_id_organization_id")),
    )
    op.create_index(
        "ix_blocks_organization_id_episode_id_position",
        "blocks",
        ["organization_id", "episode_id", "position"],
        unique=False,
    )
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_chat_sessions_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_chat_sessions_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_chat_sessions_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint(
            "id", "organization_id", name=op.f("uq_chat_sessions_id_organization_id")
        ),
    )
    op.create_index(
        "ix_chat_sessions_organization_id_episode_id",
        "chat_sessions",
        ["organization_id", "episode_id"],
        unique=False,
        postgresql_where=sa.text("episode_id IS NOT NULL"),
    )
    op.create_index(
        "ix_chat_sessions_organization_id_project_id_id",
        "chat_sessions",
        ["organization_id", "project_id", "id"],
        unique=False,
    )
    op.create_table(
        "episode_schedule_queue",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'blocked')",
            name=op.f("ck_episode_schedule_queue_status"),
        ),
        sa.CheckConstraint(
            "attempt_count >= 0", name=op.f("ck_episode_schedule_queue_attempt_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_episode_schedule_queue_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_episode_schedule_queue_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_episode_schedule_queue_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_schedule_queue")),
        sa.UniqueConstraint(
            "id", "organization_id", name=op.f("uq_episode_schedule_queue_id_organization_id")
        ),
    )
    op.create_index(
        "ix_episode_schedule_queue_pending",
        "episode_schedule_queue",
        ["available_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_episode_schedule_queue_leases",
        "episode_schedule_queue",
        ["lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.create_index(
        "ix_episode_schedule_queue_org_episode",
        "episode_schedule_queue",
        ["organization_id", "episode_id"],
        unique=False,
    )
    op.create_index(
        "ix_episode_schedule_queue_org_project_slot",
        "episode_schedule_queue",
        ["organization_id", "project_id", "scheduled_for"],
        unique=False,
    )
    op.create_index(
        "uq_episode_schedule_queue_live_slot",
        "episode_schedule_queue",
        ["project_id", "scheduled_for"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_table(
        "planning_notes",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("project_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'incorporated', 'archived')",
            name=op.f("ck_planning_notes_status"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_planning_notes_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_planning_notes_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "organization_id"],
            ["projects.id", "projects.organization_id"],
            name=op.f("fk_planning_notes_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_notes")),
    )
    op.create_index(
        "ix_planning_notes_organization_id_episode_id",
        "planning_notes",
        ["organization_id", "episode_id"],
        unique=False,
        postgresql_where=sa.text("episode_id IS NOT NULL"),
    )
    op.create_index(
        "ix_planning_notes_organization_id_project_id_id",
        "planning_notes",
        ["organization_id", "project_id", "id"],
        unique=False,
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("session_id", sa.Text(collation="C"), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_chat_messages_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_chat_messages_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id", "organization_id"],
            ["chat_sessions.id", "chat_sessions.organization_id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    op.create_index(
        "ix_chat_messages_organization_id_session_id_id",
        "chat_messages",
        ["organization_id", "session_id", "id"],
        unique=False,
    )
    op.create_table(
        "generation_runs",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=False),
        sa.Column("queue_item_id", sa.Text(collation="C"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "planning_note_ids",
            postgresql.ARRAY(sa.Text(collation="C")),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_generation_runs_status")
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_generation_runs_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_generation_runs_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_generation_runs_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_item_id", "organization_id"],
            ["episode_schedule_queue.id", "episode_schedule_queue.organization_id"],
            name=op.f("fk_generation_runs_queue_item_id_episode_schedule_queue"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_runs")),
    )
    op.create_index(
        "ix_generation_runs_organization_id_episode_id_attempt",
        "generation_runs",
        ["organization_id", "episode_id", "attempt"],
        unique=False,
    )
    op.create_index(
        "ix_generation_runs_organization_id_queue_item_id",
        "generation_runs",
        ["organization_id", "queue_item_id"],
        unique=False,
    )
    op.create_table(
        "highlights",
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("user_id", sa.Text(collation="C"), nullable=False),
        sa.Column("episode_id", sa.Text(collation="C"), nullable=False),
        sa.Column("block_id", sa.Text(collation="C"), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "start_offset >= 0 AND end_offset > start_offset", name=op.f("ck_highlights_offsets")
        ),
        sa.ForeignKeyConstraint(
            ["block_id", "organization_id"],
            ["blocks.id", "blocks.organization_id"],
            name=op.f("fk_highlights_block_id_blocks"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id", "organization_id"],
            ["episodes.id", "episodes.organization_id"],
            name=op.f("fk_highlights_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_highlights_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_highlights")),
    )
    op.create_index(
        "ix_highlights_organization_id_block_id",
        "highlights",
        ["organization_id", "block_id"],
        unique=False,
    )
    op.create_index(
        "ix_highlights_organization_id_episode_id_id",
        "highlights",
        ["organization_id", "episode_id", "id"],
        unique=False,
    )


def _drop_tables() -> None:
    op.drop_index("ix_highlights_organization_id_episode_id_id", table_name="highlights")
    op.drop_index("ix_highlights_organization_id_block_id", table_name="highlights")
    op.drop_table("highlights")
    op.drop_index("ix_generation_runs_organization_id_queue_item_id", table_name="generation_runs")
    op.drop_index(
        "ix_generation_runs_organization_id_episode_id_attempt", table_name="generation_runs"
    )
    op.drop_table("generation_runs")
    op.drop_index("ix_chat_messages_organization_id_session_id_id", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_index("ix_planning_notes_organization_id_project_id_id", table_name="planning_notes")
    op.drop_index(
        "ix_planning_notes_organization_id_episode_id",
        table_name="planning_notes",
        postgresql_where=sa.text("episode_id IS NOT NULL"),
    )
    op.drop_table("planning_notes")
    op.drop_index(
        "uq_episode_schedule_queue_live_slot",
        table_name="episode_schedule_queue",
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index("ix_episode_schedule_queue_org_project_slot", table_name="episode_schedule_queue")
    op.drop_index("ix_episode_schedule_queue_org_episode", table_name="episode_schedule_queue")
    op.drop_index(
        "ix_episode_schedule_queue_pending",
        table_name="episode_schedule_queue",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_episode_schedule_queue_leases",
        table_name="episode_schedule_queue",
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.drop_table("episode_schedule_queue")
    op.drop_index("ix_chat_sessions_organization_id_project_id_id", table_name="chat_sessions")
    op.drop_index(
        "ix_chat_sessions_organization_id_episode_id",
        table_name="chat_sessions",
        postgresql_where=sa.text("episode_id IS NOT NULL"),
    )
    op.drop_table("chat_sessions")
    op.drop_index("ix_blocks_organization_id_episode_id_position", table_name="blocks")
    op.drop_table("blocks")
    op.drop_index("ix_episodes_organization_id_project_id_id", table_name="episodes")
    op.drop_table("episodes")
    op.drop_index("ix_agent_memory_organization_id_project_id_id", table_name="agent_memory")
    op.drop_table("agent_memory")
    op.drop_index("ix_user_events_organization_id_event_type_id", table_name="user_events")
    op.drop_index("ix_user_events_organization_id_created_at", table_name="user_events")
    op.drop_table("user_events")
    op.drop_table("token_usage_daily_episodes")
    op.drop_table("token_usage_daily")
    op.drop_index(
        "ix_token_usage_organization_id_project_id",
        table_name="token_usage",
        postgresql_where=sa.text("project_id IS NOT NULL"),
    )
    op.drop_index("ix_token_usage_organization_id_created_at", table_name="token_usage")
    op.drop_table("token_usage")
    op.drop_index("ix_projects_organization_id_id", table_name="projects")
    op.drop_index(
        "ix_projects_due",
        table_name="projects",
        postgresql_where=sa.text("status = 'ACTIVE' AND deleted_at IS NULL"),
    )
    op.drop_table("projects")
    op.drop_index("ix_notifications_organization_id_user_id_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(
        "ix_audit_log_organization_id_resource_id",
        table_name="audit_log",
        postgresql_where=sa.text("resource_id IS NOT NULL"),
    )
    op.drop_index("ix_audit_log_organization_id_created_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("organizations")
