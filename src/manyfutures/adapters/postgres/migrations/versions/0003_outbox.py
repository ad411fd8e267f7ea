"""The transactional outbox: its table and the dispatcher's cross-tenant functions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``outbox_messages`` is a tenant table like the others: row-level security enabled
and forced with the ``tenant_isolation`` policy, and the app role may only read and
insert rows of its own organization (a message is added in the same transaction as
the change it reports). Everything after the insert crosses organizations and is
done by four SECURITY DEFINER functions owned by the NOLOGIN scheduler role, in the
pattern of 0001's scheduler functions (the list and the reasons are in ADR 0007):

* ``outbox_claim_due(now, lease, batch, max_attempts)`` — leases up to ``batch``
  due messages with attempts left (``FOR UPDATE SKIP LOCKED`` in due order, one
  attempt counted, ``available_at = lease_until = now + lease``) and returns them;
  due messages with no attempt left (their last attempt's lease ran out) are made
  dead in the same call;
* ``outbox_mark_sent(id, now)`` — pending -> sent;
* ``outbox_record_failure(id, attempt, error, retry_at, now)`` — pending at that
  attempt -> pending again from ``retry_at``, or dead when ``retry_at`` is NULL;
* ``outbox_dead_messages(limit, after_id)`` — dead messages of every organization,
  newest first, for operators.

The scheduler role may read the table and update only the delivery columns, through
policies that name it. Downgrade drops the table and the functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "outbox_messages"
ORG_SETTING = "NULLIF(current_setting('app.current_org_id', true), '')"
DELIVERY_COLUMNS = "status, attempts, available_at, lease_until, last_error, sent_at, dead_at"
FUNCTIONS = (
    "outbox_claim_due(timestamptz, interval, integer, integer)",
    "outbox_mark_sent(text, timestamptz)",
    "outbox_record_failure(text, integer, text, timestamptz, timestamptz)",
    "outbox_dead_messages(integer, text)",
)
# core/outbox/model.py's NO_ATTEMPT_LEFT; the contract suite checks both adapters agree.
NO_ATTEMPT_LEFT = "no attempt left: the lease of the last attempt ran out before it reported"
HOSTED_API_ROLES = ("anon", "authenticated")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    _create_table()
    op.execute(f"GRANT SELECT, INSERT ON {TABLE} TO {app_role}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {TABLE} "
        f"USING (organization_id = {ORG_SETTING}) WITH CHECK (organization_id = {ORG_SETTING})"
    )
    _create_dispatcher_path(app_role, scheduler_role, schema)
    _close_hosted_api_roles()


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_index("ix_outbox_messages_organization_id_id", table_name=TABLE)
    op.drop_index(
        "ix_outbox_messages_due", table_name=TABLE, postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index(
        "ix_outbox_messages_dead", table_name=TABLE, postgresql_where=sa.text("status = 'dead'")
    )
    op.drop_table(TABLE)


def _create_table() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Text(collation="C"), nullable=False),
        sa.Column("organization_id", sa.Text(collation="C"), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_outbox_messages_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_messages_attempts_not_negative")),
        sa.CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL) "
            "AND (status = 'dead') = (dead_at IS NOT NULL)",
            name=op.f("ck_outbox_messages_outcome_times"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outbox_messages_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(
        "ix_outbox_messages_organization_id_id", TABLE, ["organization_id", "id"], unique=False
    )
    op.create_index(
        "ix_outbox_messages_due",
        TABLE,
        ["available_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outbox_messages_dead",
        TABLE,
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'dead'"),
    )


def _create_dispatcher_path(app_role: str, scheduler_role: str, schema: str) -> None:
    """The only way the dispatcher sees across organizations (ADR 0007)."""
    op.execute(f"GRANT SELECT ON {TABLE} TO {scheduler_role}")
    op.execute(f"GRANT UPDATE ({DELIVERY_COLUMNS}) ON {TABLE} TO {scheduler_role}")
    op.execute(
        f"CREATE POLICY outbox_dispatch_read ON {TABLE} FOR SELECT TO {scheduler_role} USING (true)"
    )
    op.execute(
        f"CREATE POLICY outbox_dispatch ON {TABLE} FOR UPDATE TO {scheduler_role} "
        "USING (true) WITH CHECK (true)"
    )
    definer = f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    # PL/pgSQL, so each statement's plan is cached per session (see 0002).
    op.execute(
        f"""
        CREATE FUNCTION outbox_claim_due(
            p_now timestamptz, p_lease interval, p_batch integer, p_max_attempts integer
        )
        RETURNS SETOF {TABLE}
        LANGUAGE plpgsql VOLATILE {definer} AS $$
        BEGIN
            UPDATE {TABLE} AS o
               SET status = 'dead', dead_at = p_now, lease_until = NULL,
                   last_error = '{NO_ATTEMPT_LEFT}'
              FROM (
                    SELECT c.id FROM {TABLE} AS c
                     WHERE c.status = 'pending'
                       AND c.available_at <= p_now
                       AND c.attempts >= p_max_attempts
                     ORDER BY c.available_at, c.id
                     LIMIT p_batch
                       FOR UPDATE SKIP LOCKED
                   ) AS exhausted
             WHERE o.id = exhausted.id;
            RETURN QUERY
            WITH chosen AS (
                SELECT c.id, c.available_at FROM {TABLE} AS c
                 WHERE c.status = 'pending'
                   AND c.available_at <= p_now
                   AND c.attempts < p_max_attempts
                 ORDER BY c.available_at, c.id
                 LIMIT p_batch
                   FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE {TABLE} AS o
                   SET attempts = o.attempts + 1,
                       lease_until = p_now + p_lease,
                       available_at = p_now + p_lease
                  FROM chosen
                 WHERE o.id = chosen.id
                RETURNING o.*
            )
            SELECT claimed.* FROM claimed JOIN chosen ON chosen.id = claimed.id
             ORDER BY chosen.available_at, chosen.id;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION outbox_mark_sent(p_id text, p_now timestamptz)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE {definer} AS $$
        BEGIN
            UPDATE {TABLE}
               SET status = 'sent', sent_at = p_now, lease_until = NULL
             WHERE id = p_id AND status = 'pending';
            RETURN FOUND;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION outbox_record_failure(
            p_id text, p_attempt integer, p_error text, p_retry_at timestamptz,
            p_now timestamptz
        )
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE {definer} AS $$
        BEGIN
            UPDATE {TABLE}
               SET status = CASE WHEN p_retry_at IS NULL THEN 'dead' ELSE 'pending' END,
                   available_at = COALESCE(p_retry_at, available_at),
                   dead_at = CASE WHEN p_retry_at IS NULL THEN p_now END,
                   lease_until = NULL,
                   last_error = p_error
             WHERE id = p_id AND status = 'pending' AND attempts = p_attempt;
            RETURN FOUND;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION outbox_dead_messages(p_limit integer, p_after_id text)
        RETURNS SETOF {TABLE}
        LANGUAGE sql STABLE {definer} AS $$
            SELECT * FROM {TABLE} AS o
             WHERE o.status = 'dead' AND (p_after_id IS NULL OR o.id < p_after_id)
             ORDER BY o.id DESC
             LIMIT p_limit
        $$
        """
    )
    # As in 0001: owning the functions needs membership in the role.
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
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


def _close_hosted_api_roles() -> None:
    """As in 0001: take back what a hosted Data API's default privileges hand out."""
    objects = [f"TABLE {TABLE}", *(f"FUNCTION {signature}" for signature in FUNCTIONS)]
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
