"""The ``manyfutures`` command dispatches to every command group and refuses the rest."""

from __future__ import annotations

import subprocess
import sys

import pytest

from manyfutures.entrypoints import all_in_one, cli, scheduler, worker
from manyfutures.entrypoints.http import server
from manyfutures.settings import Settings

GROUPS = (
    "run",
    "serve",
    "worker",
    "scheduler",
    "db",
    "outbox",
    "episodes",
    "orgs",
    "memories",
    "openapi",
)
HEAVY = ("gunicorn", "werkzeug", "flask", "sqlalchemy", "alembic", "dependency_injector", "rq")
RQ_ENVIRONMENT = {
    "MANYFUTURES_DISPATCHER": "rq",
    "MANYFUTURES_REDIS_URL": "redis://127.0.0.1:9/0",
    "MANYFUTURES_STORAGE": "postgres",
    "MANYFUTURES_APP_DATABASE_URL": "postgresql://app@127.0.0.1:9/none",
    "MANYFUTURES_UNSUBSCRIBE_SECRET": "test-unsubscribe-secret-0123456789abcdef",
    "MANYFUTURES_AUTH": "clerk",
    "CLERK_ISSUER": "https://clerk.example",
    "CLERK_JWKS_URL": "https://clerk.example/jwks",
}


def test_help_lists_every_command_group(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "{" + ",".join(GROUPS) + "}" in out
    assert len(cli.COMMAND_GROUPS) == len(GROUPS)


@pytest.mark.parametrize(
    ("argv", "usage", "complaint"),
    [
        (["launch"], "usage: manyfutures ", "invalid choice: 'launch'"),
        ([], "usage: manyfutures ", "required: command"),
        (["db"], "usage: manyfutures db ", "required: db_command"),
        (["db", "migrate"], "usage: manyfutures db ", "invalid choice: 'migrate'"),
        (["outbox"], "usage: manyfutures outbox ", "required: outbox_command"),
    ],
)
def test_an_unknown_or_missing_command_exits_2_with_usage(
    argv: list[str], usage: str, complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert complaint in err


def test_run_reaches_the_all_in_one_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[Settings, bool]] = []
    monkeypatch.setattr(
        all_in_one, "run_all_in_one", lambda settings, demo: started.append((settings, demo))
    )
    monkeypatch.delenv("MANYFUTURES_PORT", raising=False)
    assert cli.main(["run", "--port", "9001"]) == 0
    assert cli.main(["run", "--no-demo"]) == 0
    assert [(s.port, demo) for s, demo in started] == [(9001, True), (8000, False)]


def test_serve_reaches_gunicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(server, "serve", served.append)
    monkeypatch.delenv("MANYFUTURES_PORT", raising=False)
    assert cli.main(["serve"]) == 0
    assert [s.port for s in served] == [8000]


def test_worker_and_scheduler_reach_their_runners(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, object]] = []
    monkeypatch.setattr(
        worker,
        "run_worker",
        lambda settings, queues, burst: started.append(("worker", (list(queues), burst))),
    )
    monkeypatch.setattr(scheduler, "run_scheduler", lambda settings: started.append(("tick", None)))
    for name, value in RQ_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["worker"]) == 0
    assert cli.main(["worker", "outbox", "--burst"]) == 0
    assert cli.main(["scheduler"]) == 0
    assert started == [("worker", ([], False)), ("worker", (["outbox"], True)), ("tick", None)]


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_refuse_the_in_process_dispatcher(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MANYFUTURES_DISPATCHER", raising=False)
    assert cli.main([command]) == 2
    assert "runs with MANYFUTURES_DISPATCHER=rq" in capsys.readouterr().err


def test_db_upgrade_reaches_the_migrations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a database URL the handler itself refuses (the Postgres suite runs it for real)."""
    monkeypatch.delenv("MANYFUTURES_DATABASE_URL", raising=False)
    assert cli.main(["db", "upgrade"]) == 1
    assert "db upgrade failed: no database URL" in capsys.readouterr().err


def test_help_imports_no_web_server_or_database_library() -> None:
    """Handlers import gunicorn, werkzeug and SQLAlchemy when they run, not at start-up."""
    probe = (
        "import sys\n"
        "from manyfutures.entrypoints.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(set({HEAVY!r}) & set(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "[]"


def test_db_lists_its_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["db", "--help"])
    out = capsys.readouterr().out
    assert "{status,upgrade,downgrade,history,tables,preview,lint}" in out


def test_the_db_commands_defaults_are_the_operations_modules_defaults() -> None:
    """Repeated in the CLI module so that --help need not import SQLAlchemy."""
    from manyfutures.adapters.postgres.operations import preview, tables
    from manyfutures.entrypoints.cli.db import inspect

    assert inspect.DEFAULT_EXACT_BELOW == tables.DEFAULT_EXACT_BELOW
    assert inspect.DEFAULT_LIMIT == preview.DEFAULT_LIMIT


def test_the_operator_commands_bounds_are_their_modules_bounds() -> None:
    """Repeated in the CLI modules so that --help need not import SQLAlchemy."""
    from manyfutures.adapters.postgres.operations import redrive, stuck
    from manyfutures.core.generation import retry_failed
    from manyfutures.entrypoints.cli import episodes, outbox

    assert episodes.MAX_STUCK == stuck.MAX_LIMIT
    assert episodes.MAX_RETRIED == retry_failed.MAX_RETRIED
    assert outbox.MAX_REDRIVE == redrive.MAX_LIMIT


@pytest.mark.parametrize(
    ("total_bytes", "shown"),
    [(0, "0 bytes"), (8191, "8191 bytes"), (24576, "24 kB"), (180 * 1024**2, "180 MB")],
)
def test_table_sizes_read_like_pg_size_pretty(total_bytes: int, shown: str) -> None:
    from manyfutures.entrypoints.cli.db.inspect import size

    assert size(total_bytes) == shown


def test_db_tables_refuses_a_negative_threshold_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["db", "tables", "--exact-below", "-1"]) == 2
    assert "--exact-below must be 0 or more" in capsys.readouterr().err
