"""Every migration keeps the previous release running: upgrade() only expands, unless the
migration is marked as a contract step (tests/support/expand_contract.py; README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manyfutures.adapters.postgres.migrate import MIGRATIONS
from tests.support.expand_contract import findings, problems

MIGRATION_FILES = sorted((MIGRATIONS / "versions").glob("*.py"))


def test_there_are_migrations_to_read() -> None:
    assert len(MIGRATION_FILES) >= 8


@pytest.mark.parametrize("path", MIGRATION_FILES, ids=lambda path: path.name)
def test_each_migration_expands_or_is_marked_as_a_contract_step(path: Path) -> None:
    assert problems(path) == []


def migration(upgrade_body: str, *, extra: str = "", marker: str = "") -> str:
    return (
        '"""A migration."""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{marker}\n"
        f"{extra}\n"
        "def upgrade() -> None:\n"
        f"    {upgrade_body}\n"
        "\n"
        "def downgrade() -> None:\n"
        "    op.drop_table('widgets')\n"
        "    op.execute('ALTER TABLE projects DROP COLUMN colour')\n"
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("op.drop_column('projects', 'legacy')", "drop"),
        ("op.drop_table('widgets')", "drop"),
        ("op.rename_table('widgets', 'gadgets')", "rename"),
        ("op.alter_column('projects', 'title', new_column_name='name')", "rename"),
        ("op.alter_column('projects', 'version', type_=sa.BigInteger())", "type change"),
        ("op.execute('ALTER TABLE projects DROP COLUMN legacy')", "drop"),
        ("op.execute('ALTER TABLE projects DROP legacy')", "drop"),
        ("op.execute(f'DROP TABLE {TABLE}')", "drop"),
        ("op.execute(STATEMENT)", "type change"),
        ("op.execute('ALTER TABLE projects RENAME COLUMN title TO name')", "rename"),
        ("op.execute('DROP FUNCTION scheduler_due_projects(timestamptz, integer)')", "drop"),
        ("op.execute('DROP VIEW recent_projects')", "drop"),
        ("_helper()", "drop"),
    ],
)
def test_an_unmarked_drop_rename_or_type_change_in_upgrade_is_refused(body: str, kind: str) -> None:
    extra = (
        "TABLE = 'widgets'\n"
        "STATEMENT = 'ALTER TABLE projects ALTER COLUMN version SET DATA TYPE bigint'\n"
        "def _helper() -> None:\n"
        "    op.drop_column('projects', 'legacy')\n"
    )
    source = migration(body, extra=extra)
    assert [finding.kind for finding in findings(source)] == [kind]


@pytest.mark.parametrize(
    "body",
    [
        "op.add_column('projects', sa.Column('colour', sa.Text(), nullable=True))",
        "op.execute('ALTER TABLE projects ALTER COLUMN title DROP NOT NULL')",
        "op.execute('ALTER TABLE projects DROP CONSTRAINT ck_projects_title')",
        "op.execute('DROP INDEX ix_projects_title')",
        "op.execute('DROP POLICY tenant_isolation ON projects')",
        # A function replaced in the same upgrade keeps its callers working.
        "op.execute('DROP FUNCTION f(integer)'); op.execute('CREATE FUNCTION f(integer) ...')",
    ],
)
def test_expanding_and_replacing_are_allowed(body: str) -> None:
    assert findings(migration(body)) == []


def test_a_marked_contract_step_may_drop(tmp_path: Path) -> None:
    path = tmp_path / "0099_drop_legacy.py"
    marker = 'contract_step = "release 2026.12 stopped reading projects.legacy"'
    path.write_text(migration("op.drop_column('projects', 'legacy')", marker=marker))
    assert problems(path) == []
    path.write_text(migration("op.drop_column('projects', 'legacy')"))
    assert problems(path) == [
        "0099_drop_legacy.py: line 7: drop: op.drop_column('projects', 'legacy') — only a "
        'contract step may do this: set contract_step = "<which release stopped using it>" '
        "(README, expand/contract)"
    ]


def test_a_contract_marker_on_a_migration_that_contracts_nothing_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "0099_nothing.py"
    path.write_text(migration("op.execute('SELECT 1')", marker='contract_step = "stale"'))
    assert problems(path) == [
        "0099_nothing.py: marked as a contract step but drops, renames or retypes nothing"
    ]
