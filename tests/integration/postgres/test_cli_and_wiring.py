"""`manyfutures db upgrade`, and the container running the real pipeline on PostgreSQL."""

from __future__ import annotations

import pytest

from manyfutures.adapters.postgres.engine import create_owner_engine
from manyfutures.adapters.postgres.migrate import current_revision, head_revision
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.container import build_container
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.identity.use_cases import DeleteOrganizationCommand
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.entrypoints.cli import main
from manyfutures.entrypoints.demo import DEMO_ORG, seed_demo
from manyfutures.settings import Settings
from tests.integration.postgres.database import MigratedDatabase
from tests.support.container import UNSUBSCRIBE_SECRET

pytestmark = pytest.mark.integration


def test_db_upgrade_migrates_an_empty_database_once(
    db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.scratch("cli") as url:
        monkeypatch.setenv("MANYFUTURES_DATABASE_URL", url.render_as_string(hide_password=False))
        monkeypatch.setenv("MANYFUTURES_DB_APP_ROLE", db.app_role)
        monkeypatch.setenv("MANYFUTURES_DB_SCHEDULER_ROLE", db.scheduler_role)
        head = head_revision()
        assert main(["db", "upgrade"]) == 0
        assert f"empty -> {head}" in capsys.readouterr().out
        assert main(["db", "upgrade"]) == 0  # nothing pending: a no-op
        assert f"{head} -> {head}" in capsys.readouterr().out
        engine = create_owner_engine(url)
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
        engine.dispose()


def test_db_upgrade_reports_an_unreachable_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MANYFUTURES_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 1
    assert "db upgrade failed" in capsys.readouterr().err


def test_settings_refuse_postgres_storage_without_a_url() -> None:
    from manyfutures.settings import SettingsError

    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"MANYFUTURES_STORAGE": "postgres", "MANYFUTURES_ALLOW_DEV_AUTH": "1"})


def _postgres_settings(db: MigratedDatabase) -> Settings:
    return Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": db.app_url.render_as_string(hide_password=False),
            "MANYFUTURES_SIMULATED_STAGE_SECONDS": "0",
        }
    )


def test_the_container_refuses_an_owner_url(db: MigratedDatabase) -> None:
    from manyfutures.adapters.postgres.engine import DatabaseConfigError

    settings = Settings.from_env(
        {
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "MANYFUTURES_APP_DATABASE_URL": db.owner_url.render_as_string(hide_password=False),
        }
    )
    container = build_container(settings)
    with pytest.raises(DatabaseConfigError), container.adapters.uow_factory()("org_a") as uow:
        uow.organizations.get()
    container.adapters.postgres_engine().dispose()


def test_run_mode_publishes_the_demo_episode_on_postgres(db: MigratedDatabase) -> None:
    """What `manyfutures run` does with MANYFUTURES_STORAGE=postgres, minus the HTTP server."""
    container = build_container(_postgres_settings(db))
    assert isinstance(container.adapters.uow_factory(), PostgresUnitOfWorkFactory)
    project = seed_demo(container)
    for probe in container.http.readiness_probes():
        probe.check()
    report = container.scheduling.scheduler_tick()()
    assert report.items_dispatched == 1
    # Waits for the worker thread's StartGeneration, which, at a simulated pace of 0,
    # has the episode published before it returns.
    container.scheduling.dispatcher().shutdown()
    with container.adapters.uow_factory()(DEMO_ORG) as uow:
        published = [
            e
            for e in uow.episodes.list_for_project(project.id, 10)
            if e.status is EpisodeStatus.PUBLISHED
        ]
        assert len(published) == 1
        assert uow.blocks.list_for_episode(published[0].id)
        items = uow.queue.list_for_project(project.id)
        assert QueueStatus.COMPLETED in {item.status for item in items}
        published_at = published[0].published_at
        assert published_at is not None
        assert uow.token_usage.daily(published_at.date()) is not None
    # The reader's email went into the outbox with the publication; the dispatcher sends it.
    assert container.outbox.dispatch_outbox()().sent == 1
    (mail,) = container.adapters.email_sender().sent
    assert (mail.to, mail.message_id.startswith("outbox_")) == ("demo@example.org", True)
    container.adapters.postgres_engine().dispose()


def test_deleting_an_organization_stops_its_projects_on_postgres(db: MigratedDatabase) -> None:
    container = build_container(_postgres_settings(db))
    project = seed_demo(container)  # its first slot is due now
    assert container.identity.apply_identity_change()(DeleteOrganizationCommand(DEMO_ORG))
    with container.adapters.uow_factory()(DEMO_ORG) as uow:
        stored = uow.projects.get(project.id)
        items = uow.queue.list_for_project(project.id)
    assert stored is not None
    assert (stored.status, stored.next_scheduled_at) == (ProjectStatus.ARCHIVED, None)
    assert [item.status for item in items] == [QueueStatus.CANCELLED]
    report = container.scheduling.scheduler_tick()()
    assert (report.projects_advanced, report.items_dispatched) == (0, 0)
    container.scheduling.dispatcher().shutdown()
    container.adapters.postgres_engine().dispose()
