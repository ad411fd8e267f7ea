"""Real concurrency against PostgreSQL: claiming from many processes, racing settings updates."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import timedelta

import pytest

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWork, PostgresUnitOfWorkFactory
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.errors import VersionConflictError
from tests.integration.postgres.database import MigratedDatabase
from tests.integration.postgres.workers import claim_into
from tests.support import builders as b
from tests.support.builders import T0

pytestmark = pytest.mark.integration

PROCESSES = 5


def _fill_queue(factory: PostgresUnitOfWorkFactory, per_org: int) -> set[str]:
    """Due items in three organizations, plus some that must never be claimed."""
    ids = set()
    for org in ("org_a", "org_b", "org_c"):
        with factory(org) as uow:
            uow.organizations.add(b.organization(org))
            uow.projects.add(b.project(f"proj_{org}", org))
            uow.episodes.add(b.episode(f"ep_{org}", f"proj_{org}", org))
            for n in range(per_org):
                item_id = f"queue_{org}_{n:04d}"
                extra = {}
                if n % 10 == 0:  # a crashed worker's item: lease expired, attempts left
                    extra = {
                        "status": QueueStatus.PROCESSING,
                        "attempt_count": 1,
                        "lease_expires_at": T0 - timedelta(seconds=1),
                    }
                uow.queue.add(
                    b.queue_item(
                        item_id,
                        f"proj_{org}",
                        f"ep_{org}",
                        org,
                        slot=T0 - timedelta(minutes=n),
                        **extra,
                    )
                )
                ids.add(item_id)
            uow.queue.add(
                b.queue_item(
                    f"queue_{org}_future", f"proj_{org}", f"ep_{org}", org, slot=T0 + timedelta(1)
                )
            )
            uow.queue.add(
                b.queue_item(
                    f"queue_{org}_blocked",
                    f"proj_{org}",
                    f"ep_{org}",
                    org,
                    slot=T0 - timedelta(days=1),
                    status=QueueStatus.BLOCKED,
                )
            )
            uow.commit()
    return ids


def test_many_processes_never_claim_the_same_item(db: MigratedDatabase) -> None:
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    due = _fill_queue(factory, per_org=200)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    url = db.app_url.render_as_string(hide_password=False)
    queue: multiprocessing.Queue[list[tuple[str, int]]] = context.Queue()
    processes = [
        context.Process(target=claim_into, args=(url, T0, 7, start, queue))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    claims = [claim for result in results for claim in result]
    counts = Counter(item_id for item_id, _ in claims)
    assert [item for item, n in counts.items() if n > 1] == []
    assert set(counts) == due
    assert sum(1 for result in results if result) >= 2, "the claimers did not overlap"
    attempts = dict(claims)
    assert attempts["queue_org_a_0000"] == 2  # the reclaimed item counts its second attempt
    assert attempts["queue_org_a_0001"] == 1


def test_two_concurrent_settings_updates_of_one_version_one_wins(db: MigratedDatabase) -> None:
    """The second UPDATE waits on the first's row lock, then finds the version moved on."""
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_1"))
        uow.commit()
    both_loaded = threading.Barrier(2)
    first_sent = threading.Event()
    outcomes: dict[str, str] = {}

    def edit(name: str, title: str) -> None:
        uow = factory("org_a")
        assert isinstance(uow, PostgresUnitOfWork)
        with uow:
            project = uow.projects.get("proj_1")
            assert project is not None
            both_loaded.wait(10)
            if name == "second":
                first_sent.wait(10)
            project.title = title
            project.touch(T0)
            try:
                uow.projects.update(project)
                uow.flush()  # the UPDATE is on the server now (the second one blocks here)
                if name == "first":
                    first_sent.set()
                    threading.Event().wait(0.3)  # hold the row lock while the other waits
                uow.commit()
                outcomes[name] = "committed"
            except VersionConflictError as error:
                outcomes[name] = f"conflict: {error.expected} vs {error.actual}"

    threads = [
        threading.Thread(target=edit, args=("first", "Mine")),
        threading.Thread(target=edit, args=("second", "Theirs")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {"first": "committed", "second": "conflict: 1 vs 2"}
    with factory("org_a") as uow:
        stored = uow.projects.get("proj_1")
        assert stored is not None
        assert (stored.title, stored.version) == ("Mine", 2)


def test_two_concurrent_settings_use_cases_of_one_version_one_wins(db: MigratedDatabase) -> None:
    """The same race through UpdateProjectSettings: both read version 1 before either writes."""
    from dependency_injector import providers

    from manyfutures.container import build_container
    from manyfutures.core.projects.use_cases import (
        UpdateProjectSettings,
        UpdateProjectSettingsCommand,
    )
    from manyfutures.core.shared.actor import Actor, Role
    from manyfutures.core.storage import StorageUnitOfWork
    from manyfutures.settings import Settings

    base = PostgresUnitOfWorkFactory(db.app_engine)
    with base("org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_1"))
        uow.commit()
    both_read = threading.Barrier(2)

    class ReadThenWait:
        """Projects repository that holds each reader until both have read."""

        def __init__(self, inner: object) -> None:
            self._inner = inner

        def get(self, project_id: str) -> object:
            project = self._inner.get(project_id)  # type: ignore[attr-defined]
            both_read.wait(10)
            return project

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    def factory(organization_id: str) -> StorageUnitOfWork:
        uow = base(organization_id)
        uow.projects = ReadThenWait(uow.projects)  # type: ignore[assignment]
        return uow

    container = build_container(Settings())
    container.adapters.uow_factory.override(providers.Object(factory))
    update: UpdateProjectSettings = container.projects.update_project_settings()
    actor = Actor("user_1", "org_a", Role.ADMIN)
    outcomes: dict[str, str] = {}

    def edit(title: str) -> None:
        try:
            project = update(UpdateProjectSettingsCommand(actor, "proj_1", 1, title=title))
            outcomes[title] = f"saved v{project.version}"
        except VersionConflictError:
            outcomes[title] = "conflict"

    threads = [threading.Thread(target=edit, args=(title,)) for title in ("Mine", "Theirs")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["conflict", "saved v2"]
    winner = next(title for title, outcome in outcomes.items() if outcome == "saved v2")
    with base("org_a") as uow:
        stored = uow.projects.get("proj_1")
        assert stored is not None
        assert (stored.title, stored.version) == (winner, 2)
        assert len(uow.audit_log.list(action="project.update")) == 1  # the loser wrote nothing
