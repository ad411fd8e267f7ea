"""The runbook's operator commands against PostgreSQL (docs/runbook.md).

``episodes stuck`` and ``outbox redrive`` run as the owner through the operators'
functions (ADR 0007); ``episodes retry-failed`` runs as the app role in the
organization's own unit of work.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from manyfutures.adapters.postgres.outbox import PostgresOutboxGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.outbox.use_cases import delivery_policy
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.entrypoints.cli import main
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.container import UNSUBSCRIBE_SECRET

pytestmark = pytest.mark.integration


@pytest.fixture
def operator(db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> PostgresUnitOfWorkFactory:
    """The environment an operator's shell has: the owner's URL and the app role's."""
    monkeypatch.setenv("MANYFUTURES_STORAGE", "postgres")
    monkeypatch.setenv("MANYFUTURES_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    monkeypatch.setenv("MANYFUTURES_ALLOW_DEV_AUTH", "true")
    monkeypatch.setenv("MANYFUTURES_APP_DATABASE_URL", db.app_url.render_as_string(False))
    monkeypatch.setenv("MANYFUTURES_DATABASE_URL", db.owner_url.render_as_string(False))
    return PostgresUnitOfWorkFactory(db.app_engine)


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def generating(factory: PostgresUnitOfWorkFactory, org: str, n: int, started_at: datetime) -> None:
    """An episode in GENERATING with its open run, as StartGeneration leaves it."""
    with factory(org) as uow:
        if uow.organizations.get() is None:
            uow.organizations.add(b.organization(org))
        uow.projects.add(b.project(f"proj_{org}_{n}", org))
        uow.episodes.add(
            b.episode(
                f"ep_{org}_{n}",
                f"proj_{org}_{n}",
                org,
                status=EpisodeStatus.GENERATING,
                progress_stage=GenerationStage.WRITING,
                progress_percent=60,
            )
        )
        uow.queue.add(
            b.queue_item(
                f"queue_{org}_{n}",
                f"proj_{org}_{n}",
                f"ep_{org}_{n}",
                org,
                status=QueueStatus.PROCESSING,
                attempt_count=2,
                run_opened_at=started_at,
                lease_expires_at=started_at + timedelta(minutes=10),
            )
        )
        uow.runs.add(
            b.generation_run(
                f"run_{org}_{n}",
                f"ep_{org}_{n}",
                f"queue_{org}_{n}",
                org,
                attempt=2,
                started_at=started_at,
            )
        )
        uow.commit()


def test_stuck_lists_old_generating_episodes_of_every_organization_oldest_first(
    operator: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    generating(operator, "org_a", 1, T0 + timedelta(hours=1))
    generating(operator, "org_b", 1, T0)
    generating(operator, "org_b", 2, now)  # started just now: not stuck
    assert main(["episodes", "stuck"]) == 0
    found = lines(capsys)
    assert [(f["organizationId"], f["episodeId"]) for f in found] == [
        ("org_b", "ep_org_b_1"),
        ("org_a", "ep_org_a_1"),
    ]
    assert found[0] | {"ageSeconds": None} == {
        "organizationId": "org_b",
        "projectId": "proj_org_b_1",
        "episodeId": "ep_org_b_1",
        "runId": "run_org_b_1",
        "attempt": 2,
        "stage": "writing",
        "percent": 60,
        "startedAt": T0.isoformat(),
        "ageSeconds": None,
        "deadline": (T0 + timedelta(minutes=10)).isoformat(),
        "pastDeadline": True,
        "queueItemId": "queue_org_b_1",
        "itemStatus": "processing",
    }
    assert main(["episodes", "stuck", "--org", "org_a"]) == 0
    assert [f["episodeId"] for f in lines(capsys)] == ["ep_org_a_1"]
    assert main(["episodes", "stuck", "--minutes", "0", "--limit", "1"]) == 0
    assert [f["episodeId"] for f in lines(capsys)] == ["ep_org_b_1"]


@pytest.mark.parametrize("argv", [["--limit", "0"], ["--limit", "1001"], ["--minutes", "-1"]])
def test_stuck_refuses_bounds_out_of_range(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["episodes", "stuck", *argv]) == 2
    assert "--limit must be between 1 and 1000" in capsys.readouterr().err


def dead_messages(db: MigratedDatabase, factory: PostgresUnitOfWorkFactory) -> None:
    """outbox_1 (org_a) and outbox_2, outbox_3 (org_b) dead; outbox_4 (org_b) pending."""
    for org, message_id in (
        ("org_a", "outbox_1"),
        ("org_b", "outbox_2"),
        ("org_b", "outbox_3"),
        ("org_b", "outbox_4"),
    ):
        with factory(org) as uow:
            if uow.organizations.get() is None:
                uow.organizations.add(b.organization(org))
            uow.outbox.add(b.outbox_message(message_id, org))
            uow.commit()
    gateway = PostgresOutboxGateway(db.app_engine)
    for message in gateway.claim_due(T0, timedelta(minutes=10), 3, 8):
        message.record_failure("550 5.1.1 no such user", T0, delivery_policy(), permanent=True)
        gateway.record_failure(message)


def statuses(factory: PostgresUnitOfWorkFactory) -> dict[str, tuple[OutboxStatus, int]]:
    found = {}
    for org, ids in (("org_a", ["outbox_1"]), ("org_b", ["outbox_2", "outbox_3", "outbox_4"])):
        with factory(org) as uow:
            for message_id in ids:
                message = uow.outbox.get(message_id)
                assert message is not None
                found[message_id] = (message.status, message.attempts)
    return found


def test_redrive_gives_dead_messages_back_to_the_dispatcher(
    db: MigratedDatabase,
    operator: PostgresUnitOfWorkFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dead_messages(db, operator)
    assert main(["outbox", "redrive", "--org", "org_b"]) == 0
    redriven = lines(capsys)
    assert sorted(r["id"] for r in redriven) == ["outbox_2", "outbox_3"]
    assert {r["organizationId"] for r in redriven} == {"org_b"}
    pending, dead = (OutboxStatus.PENDING, 0), (OutboxStatus.DEAD, 1)
    assert statuses(operator) == {
        "outbox_1": dead,
        "outbox_2": pending,
        "outbox_3": pending,
        "outbox_4": pending,
    }
    with operator("org_b") as uow:
        again = uow.outbox.get("outbox_2")
    assert again is not None
    assert (again.dead_at, again.last_error) == (None, "550 5.1.1 no such user")
    # Due now: the dispatcher claims it on its next batch.
    claimed = PostgresOutboxGateway(db.app_engine).claim_due(
        datetime.now(UTC), timedelta(minutes=10), 10, 8
    )
    assert {"outbox_2", "outbox_3"} <= {m.id for m in claimed}

    assert main(["outbox", "redrive", "outbox_1", "outbox_4"]) == 0  # outbox_4 is not dead
    assert [r["id"] for r in lines(capsys)] == ["outbox_1"]
    assert main(["outbox", "redrive", "--all"]) == 0
    assert lines(capsys) == []


def test_redrive_needs_a_choice_and_a_limit_in_range(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["outbox", "redrive"])
    assert "one of the arguments ID --org --all is required" in capsys.readouterr().err
    assert main(["outbox", "redrive", "--all", "--limit", "0"]) == 2
    assert "--limit must be between 1 and 10000" in capsys.readouterr().err


def failed(factory: PostgresUnitOfWorkFactory, limit_gbp: Decimal = Decimal("50.00")) -> None:
    """org_a: two FAILED episodes in an active project, one in a paused project, one
    PUBLISHED; org_b: one FAILED episode."""
    with factory("org_a") as uow:
        uow.organizations.add(b.organization("org_a", daily_cost_limit_gbp=limit_gbp))
        uow.projects.add(b.project("proj_1"))
        uow.projects.add(b.project("proj_2", status=ProjectStatus.PAUSED))
        for episode_id, project_id, status, at in (
            ("ep_1", "proj_1", EpisodeStatus.FAILED, T0),
            ("ep_2", "proj_1", EpisodeStatus.FAILED, T0 + timedelta(days=7)),
            ("ep_3", "proj_2", EpisodeStatus.FAILED, T0),
            ("ep_4", "proj_1", EpisodeStatus.PUBLISHED, T0),
        ):
            uow.episodes.add(
                b.episode(
                    episode_id,
                    project_id,
                    status=status,
                    updated_at=at,
                    scheduled_for=at,
                    generation_errors=["generation timed out"],
                )
            )
        uow.commit()
    with factory("org_b") as uow:
        uow.organizations.add(b.organization("org_b"))
        uow.projects.add(b.project("proj_b", "org_b"))
        uow.episodes.add(b.episode("ep_b", "proj_b", "org_b", status=EpisodeStatus.FAILED))
        uow.commit()


def test_retry_failed_retries_an_organizations_failed_episodes_in_its_own_scope(
    operator: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    failed(operator)
    assert main(["episodes", "retry-failed", "org_a", "--dry-run"]) == 0
    planned = lines(capsys)
    assert sorted(p["episodeId"] for p in planned) == ["ep_1", "ep_2"]
    assert {p["retried"] for p in planned} == {False}
    with operator("org_a") as uow:
        episode = uow.episodes.get("ep_1")
        assert episode is not None
        assert episode.status is EpisodeStatus.FAILED

    assert main(["episodes", "retry-failed", "org_a"]) == 0
    retried = lines(capsys)
    assert sorted(r["episodeId"] for r in retried) == ["ep_1", "ep_2"]
    assert retried[0]["lastError"] == "generation timed out"
    with operator("org_a") as uow:
        status = {e: uow.episodes.get(e).status for e in ("ep_1", "ep_2", "ep_3")}  # type: ignore[union-attr]
        items = uow.queue.list_for_project("proj_1")
        actions = [row.action for row in uow.audit_log.list()]
    assert status == {
        "ep_1": EpisodeStatus.DRAFT,
        "ep_2": EpisodeStatus.DRAFT,
        "ep_3": EpisodeStatus.FAILED,  # its project is paused
    }
    assert sorted((i.episode_id, i.status) for i in items) == [
        ("ep_1", QueueStatus.PENDING),
        ("ep_2", QueueStatus.PENDING),
    ]
    assert actions == ["episode.retry", "episode.retry"]
    with operator("org_b") as uow:
        other = uow.episodes.get("ep_b")
    assert other is not None
    assert other.status is EpisodeStatus.FAILED  # another organization's: untouched


def test_retry_failed_takes_only_those_failed_since(
    operator: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    failed(operator)
    since = (T0 + timedelta(days=1)).isoformat()
    assert main(["episodes", "retry-failed", "org_a", "--since", since]) == 0
    assert [r["episodeId"] for r in lines(capsys)] == ["ep_2"]


def test_retry_failed_is_refused_while_the_breaker_is_open(
    operator: PostgresUnitOfWorkFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    failed(operator, limit_gbp=Decimal("0.00"))  # nothing may be spent: open all day
    assert main(["episodes", "retry-failed", "org_a"]) == 1
    assert "daily cost limit is reached" in capsys.readouterr().err
    with operator("org_a") as uow:
        episode = uow.episodes.get("ep_1")
        assert episode is not None
        assert episode.status is EpisodeStatus.FAILED
    assert main(["episodes", "retry-failed", "org_a", "--dry-run"]) == 0  # a look is harmless
    assert len(lines(capsys)) == 2


@pytest.mark.parametrize(
    ("argv", "status", "complaint"),
    [
        (["org_nobody"], 1, "organization 'org_nobody' was not found"),
        (["org_a", "--limit", "0"], 2, "limit must be between 1 and 1000"),
    ],
)
def test_retry_failed_refusals(
    operator: PostgresUnitOfWorkFactory,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    complaint: str,
) -> None:
    failed(operator)
    assert main(["episodes", "retry-failed", *argv]) == status
    assert complaint in capsys.readouterr().err
