"""`manyfutures db status|downgrade|history|tables|preview|lint` against real databases.

Each command runs through ``main`` as an operator would run it, connected as the
owner (``MANYFUTURES_DATABASE_URL``). Migrating from nothing happens in scratch
databases of the session's server; reading happens in the session's database.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.generation.callback_token import hash_callback_token
from manyfutures.core.identity.model import User
from manyfutures.entrypoints.cli import main
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b

pytestmark = pytest.mark.integration
BEFORE = "outbox_html"  # the revision below database_operations (0009)


def as_owner(monkeypatch: pytest.MonkeyPatch, db: MigratedDatabase, url: URL) -> None:
    monkeypatch.setenv("MANYFUTURES_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("MANYFUTURES_DB_APP_ROLE", db.app_role)
    monkeypatch.setenv("MANYFUTURES_DB_SCHEDULER_ROLE", db.scheduler_role)


@pytest.fixture
def owner(db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> MigratedDatabase:
    """The session's database, the commands pointed at it as its owner."""
    as_owner(monkeypatch, db, db.owner_url)
    return db


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def line_of(output: str, first: str) -> str:
    (line,) = [line for line in output.splitlines() if line.split()[:1] == [first]]
    return line


# ---------------------------------------------------------------- status, history, downgrade

# The scheduler role's privileges on every table and column, as aclitems: what a
# downgrade must give back exactly.
PRIVILEGES = text(
    "SELECT c.relname || ' ' || acl::text FROM pg_class c, unnest(c.relacl) AS acl "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
    "AND acl::text LIKE :grantee "
    "UNION SELECT c.relname || '.' || a.attname || ' ' || acl::text "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, unnest(a.attacl) AS acl "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
    "AND acl::text LIKE :grantee"
)


def privileges(url: URL, role: str) -> set[str]:
    engine = create_owner_engine(url)
    with engine.connect() as connection:
        found = set(connection.execute(PRIVILEGES, {"grantee": f"{role}=%"}).scalars())
    engine.dispose()
    return found


def revision_of(url: URL) -> str | None:
    engine = create_owner_engine(url)
    with engine.connect() as connection:
        found = current_revision(connection)
    engine.dispose()
    return found


def test_status_upgrade_history_and_a_downgrade_that_asks(
    db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = head_revision()
    with db.scratch("ops") as url:
        as_owner(monkeypatch, db, url)
        status, out, _ = run(["db", "status", "--check"], capsys)
        assert status == 1
        assert "current   none (empty database)" in out
        assert f"pending   {len(revisions_up_to(head))} migrations" in out
        assert "  database_operations  Database operations: the migration history" in out

        # The last line: a JSON log line (the time-zone data in use) may come first.
        history_error = run(["db", "history"], capsys)[2].splitlines()[-1]
        assert history_error.startswith("db history: this database has no")

        assert run(["db", "upgrade", BEFORE], capsys)[0] == 0
        before_0009 = privileges(url, db.scheduler_role)
        assert len(before_0009) > 10  # 0001's column reads and more
        earlier = revisions_up_to(BEFORE)
        later = revisions_up_to(head)[len(earlier) :]  # database_operations and after
        assert later[0] == "database_operations"
        pending = f"{len(later)} migration" + ("s" if len(later) > 1 else "")
        status, out, _ = run(["db", "status"], capsys)
        assert (status, line_of(out, "pending")) == (0, f"pending   {pending}")
        assert run(["db", "status", "--check"], capsys)[0] == 1
        assert run(["db", "upgrade"], capsys)[0] == 0

        status, out, _ = run(["db", "status", "--check"], capsys)
        assert status == 0
        assert line_of(out, "current") == f"current   {head}"
        assert line_of(out, "drift") == "drift     none: the models match the database"

        status, out, _ = run(["db", "history"], capsys)
        lines = out.splitlines()
        assert status == 0
        header = ["applied", "at", "(UTC)", "direction", "revision", "role", "package"]
        assert lines[0].split() == header
        # The first run came before the table: its revisions are there, untracked; the
        # second run's, from database_operations on, each with its role and version.
        assert [line.split() for line in lines[1 : 1 + len(earlier)]] == [
            ["before", "tracking", "upgrade", revision] for revision in earlier
        ]
        assert [line.split()[2:] for line in lines[1 + len(earlier) :]] == [
            ["upgrade", revision, url.username, package_version()] for revision in later
        ]

        # Without --yes it asks; anything but "yes", or no answer at all, changes nothing.
        for answer in ("no\n", ""):
            monkeypatch.setattr("sys.stdin", io.StringIO(answer))
            status, out, err = run(["db", "downgrade", BEFORE], capsys)
            assert status == 1
            assert f"from {head} to {BEFORE}, undoing:" in err
            assert "  database_operations  Database operations" in err
            assert 'Type "yes" to go on' in out
            assert "not confirmed; nothing was changed" in err
            assert revision_of(url) == head
        monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
        status, out, _ = run(["db", "downgrade", BEFORE], capsys)
        assert status == 0
        assert out.strip().endswith(f"{head} -> {BEFORE}")
        assert revision_of(url) == BEFORE
        # The scheduler role's earlier grants (0003, 0004) are exactly as they were.
        assert privileges(url, db.scheduler_role) == before_0009

        monkeypatch.setattr("sys.stdin", io.StringIO(""))  # --yes never reads it
        assert run(["db", "upgrade"], capsys)[0] == 0
        status, out, err = run(["db", "downgrade", "base", "--yes"], capsys)
        # Nothing on stderr but log lines (JSON): no question asked, no refusal.
        assert (status, [line for line in err.splitlines() if not line.startswith("{")]) == (0, [])
        assert out.strip().endswith(f"{head} -> empty")


def revisions_up_to(head: str | None) -> list[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    return [script.revision for script in reversed(list(scripts.walk_revisions("base", head)))]


def package_version() -> str:
    from manyfutures.adapters.postgres.migration_history import package_version

    return package_version()


def test_downgrade_to_an_unknown_revision_is_refused(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["db", "downgrade", "no_such_revision", "--yes"], capsys)
    assert status == 2
    assert "no_such_revision" in err
    assert revision_of(owner.owner_url) == head_revision()


def test_upgrade_to_an_unknown_revision_is_refused(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["db", "upgrade", "no_such_revision"], capsys)
    assert status == 2
    assert "no_such_revision" in err
    assert revision_of(owner.owner_url) == head_revision()


# ----------------------------------------------------- a test migration that breaks the rules

PROBE_MIGRATION = '''"""A test migration breaking the rules: an unprotected tenant table, an
unindexed foreign key, a badly named column."""

from alembic import op

revision = "lint_probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE widgets (id text PRIMARY KEY, organization_id text NOT NULL, "
        "project_id text REFERENCES projects (id), \\"widgetName\\" text)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE widgets")
'''


@pytest.fixture
def probe_migrated(
    db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[URL, object]]:
    """A scratch database at head, then the probe migration from a second versions folder."""
    (tmp_path / "lint_probe.py").write_text(PROBE_MIGRATION.replace("{head}", str(head_revision())))
    with db.scratch("probe") as url:
        config = alembic_config(
            url.render_as_string(hide_password=False),
            app_role=db.app_role,
            scheduler_role=db.scheduler_role,
        )
        upgrade(config)
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", f"{MIGRATIONS / 'versions'}{os.pathsep}{tmp_path}"
        )
        upgrade(config, "lint_probe")
        as_owner(monkeypatch, db, url)
        yield url, config


def test_lint_names_each_rule_a_migration_breaks_and_exits_1(
    probe_migrated: tuple[URL, object], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["db", "lint"], capsys)
    assert status == 1
    named = {tuple(line.split()[:2]) for line in out.splitlines()[1:-1]}
    assert named == {
        ("unlisted-table", "widgets"),
        ("tenant-index", "widgets"),
        ("tenant-rls", "widgets"),
        ("tenant-policy", "widgets"),
        ("foreign-key-index", "widgets"),
        ("naming", "widgets.widgetName"),
        ("naming", "widgets.widgets_pkey"),
        ("naming", "widgets.widgets_project_id_fkey"),
        ("operations-read", "widgets"),
    }
    assert "widgets_project_id_fkey: no index leads with its columns" in out
    assert "row-level security is not enabled" in out
    assert out.splitlines()[-1] == "db lint: 9 violations"


def test_status_check_fails_on_a_revision_this_release_does_not_know(
    probe_migrated: tuple[URL, object], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["db", "status", "--check"], capsys)
    assert status == 1
    assert line_of(out, "current") == "current   lint_probe"
    assert "pending   unknown: this package does not know the current revision" in out
    assert "drift     1 difference between the models and the database:" in out
    assert "  remove_table widgets" in out  # the models have no such table
    assert "not at this release's schema" in err


def test_history_records_downgrades_too(
    probe_migrated: tuple[URL, object], capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic.config import Config

    _, config = probe_migrated
    assert isinstance(config, Config)
    downgrade(config, str(head_revision()))
    status, out, _ = run(["db", "history"], capsys)
    assert status == 0
    assert [line.split()[2:4] for line in out.splitlines()[-2:]] == [
        ["upgrade", "lint_probe"],
        ["downgrade", "lint_probe"],
    ]


# ---------------------------------------------------------------------------------- reading


def seed(db: MigratedDatabase) -> None:
    """Two organizations, five projects, a run with a callback token, an email, a user."""
    uow_factory = PostgresUnitOfWorkFactory(db.app_engine)
    for org, projects in (("org_a", 3), ("org_b", 2)):
        with uow_factory(org) as uow:
            uow.organizations.add(b.organization(org))
            for n in range(projects):
                created = b.T0 + timedelta(minutes=n)
                uow.projects.add(b.project(f"proj_{org}_{n}", org, created_at=created))
            uow.episodes.add(b.episode(f"ep_{org}", f"proj_{org}_0", org))
            uow.queue.add(b.queue_item(f"queue_{org}", f"proj_{org}_0", f"ep_{org}", org))
            uow.runs.add(
                b.generation_run(
                    f"run_{org}",
                    f"ep_{org}",
                    f"queue_{org}",
                    org,
                    callback_token_hash=hash_callback_token(f"token-{org}"),
                )
            )
            uow.outbox.add(
                b.outbox_message(
                    f"outbox_{org}",
                    org,
                    recipient=f"reader.{org}@example.org",
                    body=f"Dear reader of {org}, your private brief",
                    html=f"<p>Dear reader of {org}, your private brief</p>",
                )
            )
            uow.commit()
    with uow_factory("org_a") as uow:
        uow.users.add(
            User(id="user_1", email="ada@example.org", name="Ada", created_at=b.T0, updated_at=b.T0)
        )
        uow.commit()


def test_tables_counts_every_organization_and_flags_empty_tables(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(owner)
    status, out, _ = run(["db", "tables"], capsys)
    assert status == 0
    assert line_of(out, "projects").split()[:2] == ["projects", "5"]
    assert line_of(out, "organizations").split()[:2] == ["organizations", "2"]
    assert line_of(out, "generation_runs").split()[:2] == ["generation_runs", "2"]
    assert line_of(out, "highlights").endswith("empty: feature not active yet")
    assert not line_of(out, "projects").endswith("feature not active yet")
    assert "migration_history" in out and "alembic_version" in out
    assert out.splitlines()[-1].startswith(f"{len(out.splitlines()) - 2} tables, ")

    with owner.owner_engine.begin() as connection:
        connection.execute(text("ANALYZE projects"))
    status, out, _ = run(["db", "tables", "--exact-below", "3"], capsys)
    assert status == 0
    assert line_of(out, "projects").split()[1] == "~5"
    assert line_of(out, "projects").endswith("estimate (planner)")
    assert line_of(out, "organizations").split()[1] == "2"  # below the threshold: exact


def test_the_count_crosses_organizations_for_a_caller_row_level_security_binds(
    owner: MigratedDatabase,
) -> None:
    """Not the superuser's bypass: called by the app role (granted EXECUTE for this
    transaction only), which sees no project by itself, the function counts them all."""
    seed(owner)
    with owner.owner_engine.connect() as connection:
        try:
            connection.execute(
                text(f"GRANT EXECUTE ON FUNCTION operations_table_rows(bigint) TO {owner.app_role}")
            )
            connection.execute(text(f"SET LOCAL ROLE {owner.app_role}"))
            seen = connection.execute(text("SELECT count(*) FROM projects")).scalar_one()
            counted = connection.execute(
                text(
                    "SELECT exact_rows FROM operations_table_rows(100) "
                    "WHERE table_name = 'projects'"
                )
            ).scalar_one()
        finally:
            connection.rollback()
    assert (seen, counted) == (0, 5)


def test_the_app_role_cannot_run_the_operators_functions(owner: MigratedDatabase) -> None:
    from sqlalchemy.exc import ProgrammingError

    for call in (
        "SELECT * FROM operations_table_rows(10)",
        "SELECT operations_newest_rows('projects', ARRAY['id'], 1)",
    ):
        with pytest.raises(ProgrammingError, match="permission denied"):  # noqa: SIM117
            with owner.app_engine.connect() as connection:
                connection.execute(text(call))


def test_a_table_the_operators_functions_cannot_read_is_refused_not_reported_empty(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(owner)
    with owner.owner_engine.begin() as connection:
        connection.execute(text("DROP POLICY operations_read ON projects"))
    try:
        status, out, _ = run(["db", "tables"], capsys)
        assert line_of(out, "projects").split()[1] == "?"
        assert "not readable by the operators' functions" in line_of(out, "projects")
        status, _, err = run(["db", "preview", "projects"], capsys)
        assert status == 1
        assert "not readable by the operations functions" in err
    finally:
        with owner.owner_engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE POLICY operations_read ON projects FOR SELECT "
                    f"TO {owner.scheduler_role} USING (true)"
                )
            )


def test_preview_shows_the_newest_rows_of_every_organization(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(owner)
    status, out, _ = run(["db", "preview", "projects", "--limit", "3", "--json"], capsys)
    assert status == 0
    rows = json.loads(out)
    # Newest first by created_at, then id: org_a's third project and both orgs' second.
    assert [row["id"] for row in rows] == ["proj_org_a_2", "proj_org_b_1", "proj_org_a_1"]
    assert rows[0]["cadence_days"] == [1]

    status, out, _ = run(["db", "preview", "projects", "--org", "org_b"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "projects: newest 2 rows, organization org_b; secrets masked"
    assert lines[1].split()[:3] == ["id", "organization_id", "created_by"]
    assert [line.split()[0] for line in lines[2:]] == ["proj_org_b_1", "proj_org_b_0"]


def test_preview_masks_secrets_always_and_emails_when_asked(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(owner)
    status, out, _ = run(["db", "preview", "generation_runs", "--json"], capsys)
    runs = json.loads(out)
    assert status == 0
    assert {row["callback_token_hash"] for row in runs} == {"***"}
    assert hash_callback_token("token-org_a") not in out

    for scope in ([], ["--org", "org_a"]):
        status, out, _ = run(["db", "preview", "outbox_messages", "--json", *scope], capsys)
        messages = json.loads(out)
        assert status == 0
        # The text and the HTML part: every column but the envelope.
        assert {(row["body"], row["html"]) for row in messages} == {("***", "***")}
        assert "private brief" not in out
        assert "reader.org_a@example.org" in {row["recipient"] for row in messages}

    status, out, _ = run(["db", "preview", "outbox_messages", "--redact"], capsys)
    assert status == 0
    assert "***@example.org" in out
    assert "reader.org_a@" not in out and "private brief" not in out

    status, out, _ = run(["db", "preview", "users", "--json", "--redact"], capsys)
    assert [row["email"] for row in json.loads(out)] == ["***@example.org"]
    status, out, _ = run(["db", "preview", "users", "--json"], capsys)
    assert [row["email"] for row in json.loads(out)] == ["ada@example.org"]


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["db", "preview", "widgets"], "unknown table 'widgets'; known tables: agent_memory,"),
        (["db", "preview", "users", "--org", "org_a"], "users belongs to no organization"),
        (["db", "preview", "projects", "--limit", "0"], "--limit must be between 1 and 1000"),
    ],
)
def test_preview_refuses_what_it_cannot_show(
    owner: MigratedDatabase,
    argv: list[str],
    complaint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert complaint in err


def test_lint_passes_on_the_migrated_schema(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["db", "lint"], capsys)
    assert (status, out.strip()) == (0, "db lint: no violations (11 checks)")


def test_lint_needs_the_cross_tenant_adr(
    owner: MigratedDatabase, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(["db", "lint", "--adr", str(tmp_path / "missing.md")], capsys)
    assert status == 2
    assert "cannot read the cross-tenant functions' list" in err
