"""Memory ids, and the daily check's way to the projects still on JSON memories.

Revision ID: memory_ids
Revises: cost_alerts_day_end
Create Date: 2026-12-01

* Repair: every memory kept as JSON on a project gets the id it is addressed by
  (``DELETE /v1/memories/<id>``) and keeps when the project moves to ``agent_memory``:
  ``'memory_' || left(md5(project id || ':' || ordinal || ':' || content), 26)``, the
  ordinal 1-based in the array, so it is unique and the same on every database
  (``adapters/postgres/projects.legacy_memory_id`` derives the same one for a memory a
  previous release writes without an id during a rolling deploy). A memory without
  ``created_at`` gets its project's. Row-level security is forced on ``projects``, so,
  as migration 0006 did, the repair lifts the *forcing* for its own statement, in this
  migration's transaction, and restores it before committing (ADR 0007 lists it).
  Running it again changes nothing; the previous release ignores the new key.
* ``memory_json_projects(after, limit)``: the live projects of every organization whose
  memories are still JSON, with their organization and memory count, in id order: the
  daily check and ``manyfutures memories migrate --all`` evaluate and move each in a
  unit of work scoped to its own organization (core/feedback/memory_use_cases.py). A
  SECURITY DEFINER function owned by the scheduler role, which reads ``projects``
  already (0001, 0009), run by the app role, listed in ADR 0007.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "memory_ids"
down_revision: str | None = "cost_alerts_day_end"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "memory_json_projects(text, integer)"
HOSTED_API_ROLES = ("anon", "authenticated")

GIVE_MEMORIES_IDS = """
    UPDATE projects AS p
       SET memories = (
           SELECT jsonb_agg(
                      e.m
                      || CASE WHEN e.m ? 'id' THEN '{}'::jsonb
                              ELSE jsonb_build_object(
                                  'id',
                                  'memory_' || left(md5(p.id || ':' || e.ordinal || ':'
                                                     || (e.m ->> 'content')), 26))
                         END
                      || CASE WHEN e.m ->> 'created_at' IS NOT NULL THEN '{}'::jsonb
                              ELSE jsonb_build_object('created_at', to_jsonb(p.created_at))
                         END
                      ORDER BY e.ordinal)
             FROM jsonb_array_elements(p.memories) WITH ORDINALITY AS e(m, ordinal))
     WHERE EXISTS (
           SELECT 1
             FROM jsonb_array_elements(p.memories) AS e(m)
            WHERE NOT e.m ? 'id' OR e.m ->> 'created_at' IS NULL)
"""


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    scheduler_role = context.config.attributes["scheduler_role"]
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute("ALTER TABLE projects NO FORCE ROW LEVEL SECURITY")
    op.execute(GIVE_MEMORIES_IDS)
    op.execute("ALTER TABLE projects FORCE ROW LEVEL SECURITY")
    op.execute(
        f"""
        CREATE FUNCTION memory_json_projects(p_after text, p_limit integer)
        RETURNS TABLE (organization_id text, resource_id text, memory_count integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT p.organization_id, p.id, jsonb_array_length(p.memories)
              FROM projects AS p
             WHERE p.memory_storage = 'json'
               AND p.deleted_at IS NULL
               AND (p_after IS NULL OR p.id > p_after)
             ORDER BY p.id
             LIMIT p_limit
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {scheduler_role}")
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {app_role}")
    op.execute(
        f"""
        DO $$
        DECLARE api_role text;
        BEGIN
            FOREACH api_role IN ARRAY ARRAY{list(HOSTED_API_ROLES)!r}::text[] LOOP
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                    EXECUTE format('REVOKE ALL ON FUNCTION {SIGNATURE} FROM %I', api_role);
                END IF;
            END LOOP;
        END
        $$
        """
    )


def downgrade() -> None:
    """The ids stay: the previous release ignores them."""
    op.execute(f"DROP FUNCTION {SIGNATURE}")
