"""The operations view's reads: an organization's own (``uow.operations``, its unit of
work, row-level security in force) and every organization's for operators (the gateway,
in PostgreSQL the ``console_*`` functions of migrations 0020 and 0021). Both say the
same of the same rows; the first never shows another organization's, the second never
a deleted one's, and neither a deleted project's episodes."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage
from manyfutures.core.operations.model import (
    FailedEpisode,
    OperationsSnapshot,
    OutboxHealth,
    QueueCount,
    RunInFlight,
)
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.scheduling.queue import QueueStatus
from tests.contract.conftest import Storage
from tests.support import builders as b
from tests.support.builders import T0

SINCE = T0 - timedelta(days=1)
MINUTE = timedelta(minutes=1)


def _organization(storage: Storage, org: str, title: str) -> None:
    with storage.uow(org) as uow:
        uow.organizations.add(b.organization(org))
        uow.projects.add(b.project(f"proj_{org}", org, title=title))
        uow.commit()


def _generating(
    storage: Storage, org: str, name: str, stage: GenerationStage, percent: int, *starts: int
) -> None:
    """An episode in GENERATING with one run per start (minutes before T0), one slot each."""
    with storage.uow(org) as uow:
        uow.episodes.add(
            b.episode(
                name,
                f"proj_{org}",
                org,
                status=EpisodeStatus.GENERATING,
                progress_stage=stage,
                progress_percent=percent,
                generation_attempts=len(starts),
            )
        )
        for attempt, start in enumerate(starts, 1):
            slot = T0 - start * MINUTE
            uow.queue.add(
                b.queue_item(
                    f"q_{name}_{attempt}",
                    f"proj_{org}",
                    name,
                    org,
                    slot=slot,
                    status=QueueStatus.PROCESSING,
                )
            )
            uow.runs.add(
                b.generation_run(
                    f"run_{name}_{attempt}",
                    name,
                    f"q_{name}_{attempt}",
                    org,
                    attempt=attempt,
                    started_at=slot,
                )
            )
        uow.commit()


def _failed(storage: Storage, org: str, name: str, minutes_ago: int, *errors: str) -> None:
    with storage.uow(org) as uow:
        uow.episodes.add(
            b.episode(
                name,
                f"proj_{org}",
                org,
                status=EpisodeStatus.FAILED,
                generation_errors=list(errors),
                updated_at=T0 - minutes_ago * MINUTE,
            )
        )
        uow.commit()


def _queue(storage: Storage, org: str, *items: tuple[QueueStatus, timedelta]) -> None:
    with storage.uow(org) as uow:
        uow.episodes.add(b.episode(f"ep_slots_{org}", f"proj_{org}", org))
        for n, (status, offset) in enumerate(items):
            uow.queue.add(
                b.queue_item(
                    f"q_{org}_{n}",
                    f"proj_{org}",
                    f"ep_slots_{org}",
                    org,
                    slot=T0 + offset,
                    status=status,
                )
            )
        uow.commit()


def _mail(storage: Storage, org: str, *messages: tuple[OutboxStatus, int]) -> None:
    with storage.uow(org) as uow:
        for n, (status, minutes_ago) in enumerate(messages):
            uow.outbox.add(
                b.outbox_message(
                    f"outbox_{org}_{n}",
                    org,
                    status=status,
                    created_at=T0 - minutes_ago * MINUTE,
                    sent_at=T0 if status is OutboxStatus.SENT else None,
                    dead_at=T0 if status is OutboxStatus.DEAD else None,
                )
            )
        uow.commit()


def fill(storage: Storage) -> None:
    _organization(storage, "org_a", "Energy")
    _generating(storage, "org_a", "ep_a_research", GenerationStage.RESEARCH, 30, 20, 5)
    _generating(storage, "org_a", "ep_a_writing", GenerationStage.WRITING, 60, 30)
    _failed(storage, "org_a", "ep_a_failed_early", 60, "n8n refused", "Writer agent timed out")
    _failed(storage, "org_a", "ep_a_failed_late", 10)
    _queue(
        storage,
        "org_a",
        (QueueStatus.PENDING, timedelta(hours=1)),
        (QueueStatus.PENDING, timedelta(days=-3)),  # overdue: live, so counted
        (QueueStatus.BLOCKED, timedelta(hours=-2)),
        (QueueStatus.COMPLETED, timedelta(hours=-3)),
        (QueueStatus.COMPLETED, timedelta(days=-4)),  # finished before the window
        (QueueStatus.CANCELLED, timedelta(hours=-1)),
    )
    _mail(
        storage,
        "org_a",
        (OutboxStatus.PENDING, 60),
        (OutboxStatus.PENDING, 10),
        (OutboxStatus.DEAD, 2880),
        (OutboxStatus.SENT, 5000),
    )
    _organization(storage, "org_b", "Water")
    _generating(storage, "org_b", "ep_b_review", GenerationStage.REVIEW, 90, 45)
    _failed(storage, "org_b", "ep_b_failed", 30, "Daily limit exceeded")
    _queue(storage, "org_b", (QueueStatus.PENDING, timedelta(hours=2)))
    _mail(storage, "org_b", (OutboxStatus.DEAD, 15))


ORG_A = OperationsSnapshot(
    queue=[
        QueueCount("org_a", QueueStatus.BLOCKED, 1),
        QueueCount("org_a", QueueStatus.CANCELLED, 1),
        QueueCount("org_a", QueueStatus.COMPLETED, 1),
        QueueCount("org_a", QueueStatus.PENDING, 2),
        QueueCount("org_a", QueueStatus.PROCESSING, 3),
    ],
    runs=[
        RunInFlight(
            "org_a",
            "ep_a_writing",
            "proj_org_a",
            "Energy",
            GenerationStage.WRITING,
            60,
            1,
            T0 - 30 * MINUTE,
        ),
        RunInFlight(
            "org_a",
            "ep_a_research",
            "proj_org_a",
            "Energy",
            GenerationStage.RESEARCH,
            30,
            2,
            T0 - 5 * MINUTE,
        ),
    ],
    failed=[
        FailedEpisode("org_a", "ep_a_failed_late", "proj_org_a", "Energy", T0 - 10 * MINUTE, None),
        FailedEpisode(
            "org_a",
            "ep_a_failed_early",
            "proj_org_a",
            "Energy",
            T0 - 60 * MINUTE,
            "Writer agent timed out",
        ),
    ],
    outbox=[OutboxHealth("org_a", 2, T0 - 60 * MINUTE, 1, T0 - 2880 * MINUTE)],
)


def _normalized(snapshot: OperationsSnapshot) -> OperationsSnapshot:
    """Lists compared as lists; counts in (organization, status) order."""
    return OperationsSnapshot(
        queue=sorted(snapshot.queue, key=lambda c: (c.organization_id, c.status)),
        runs=list(snapshot.runs),
        failed=list(snapshot.failed),
        outbox=sorted(snapshot.outbox, key=lambda o: o.organization_id),
    )


def test_an_organization_sees_its_own_pipeline_and_nothing_else(storage: Storage) -> None:
    fill(storage)
    with storage.uow("org_a") as uow:
        snapshot = uow.operations.snapshot(SINCE, 50)
    assert _normalized(snapshot) == ORG_A


def test_another_organization_sees_only_its_own(storage: Storage) -> None:
    fill(storage)
    with storage.uow("org_b") as uow:
        snapshot = uow.operations.snapshot(SINCE, 50)
    assert {c.organization_id for c in snapshot.queue} == {"org_b"}
    assert [r.episode_id for r in snapshot.runs] == ["ep_b_review"]
    assert [f.episode_id for f in snapshot.failed] == ["ep_b_failed"]
    assert snapshot.outbox == [OutboxHealth("org_b", 0, None, 1, T0 - 15 * MINUTE)]


def test_nothing_stored_is_an_empty_view(storage: Storage) -> None:
    _organization(storage, "org_a", "Energy")
    empty = OperationsSnapshot(queue=[], runs=[], failed=[], outbox=[])
    with storage.uow("org_a") as uow:
        assert _normalized(uow.operations.snapshot(SINCE, 50)) == empty
    assert _normalized(storage.operators.snapshot(SINCE, 50)) == empty


def test_lists_stop_at_the_limit(storage: Storage) -> None:
    fill(storage)
    with storage.uow("org_a") as uow:
        snapshot = uow.operations.snapshot(SINCE, 1)
    assert [r.episode_id for r in snapshot.runs] == ["ep_a_writing"]
    assert [f.episode_id for f in snapshot.failed] == ["ep_a_failed_late"]
    across = storage.operators.snapshot(SINCE, 1)
    assert [r.episode_id for r in across.runs] == ["ep_b_review"]  # the oldest run anywhere
    assert [f.episode_id for f in across.failed] == ["ep_a_failed_late"]


def test_operators_see_every_organization_but_deleted_ones(storage: Storage) -> None:
    fill(storage)
    _organization(storage, "org_c", "Gone")
    _generating(storage, "org_c", "ep_c", GenerationStage.RESEARCH, 10, 50)
    _failed(storage, "org_c", "ep_c_failed", 1, "boom")
    _mail(storage, "org_c", (OutboxStatus.PENDING, 1))
    with storage.uow("org_c") as uow:
        organization = uow.organizations.get()
        assert organization is not None
        organization.deleted_at = T0
        uow.organizations.update(organization)
        uow.commit()

    across = _normalized(storage.operators.snapshot(SINCE, 50))

    with storage.uow("org_b") as uow:
        org_b = _normalized(uow.operations.snapshot(SINCE, 50))
    assert across.queue == [*ORG_A.queue, *org_b.queue]
    assert [r.episode_id for r in across.runs] == ["ep_b_review", "ep_a_writing", "ep_a_research"]
    assert across.runs[0] == org_b.runs[0]
    assert [f.episode_id for f in across.failed] == [
        "ep_a_failed_late",
        "ep_b_failed",
        "ep_a_failed_early",
    ]
    assert across.failed[2] == ORG_A.failed[1]
    assert across.outbox == [*ORG_A.outbox, *org_b.outbox]


def test_a_deleted_projects_episodes_are_not_shown(storage: Storage) -> None:
    """A deleted project takes its episodes with it (the reader's pages 404 them): the
    views offer no row to open or retry, in its organization's view or the operators'."""
    fill(storage)
    with storage.uow("org_a") as uow:
        uow.projects.add(b.project("proj_gone", "org_a", title="Gone"))
        uow.commit()
    with storage.uow("org_a") as uow:
        uow.episodes.add(
            b.episode("ep_gone_generating", "proj_gone", "org_a", status=EpisodeStatus.GENERATING)
        )
        uow.episodes.add(
            b.episode("ep_gone_failed", "proj_gone", "org_a", status=EpisodeStatus.FAILED)
        )
        project = uow.projects.get("proj_gone")
        assert project is not None
        project.deleted_at = T0
        uow.projects.update(project)
        uow.commit()
    with storage.uow("org_a") as uow:
        own = _normalized(uow.operations.snapshot(SINCE, 50))
    across = _normalized(storage.operators.snapshot(SINCE, 50))
    assert (own.runs, own.failed) == (ORG_A.runs, ORG_A.failed)
    shown = {r.episode_id for r in across.runs} | {f.episode_id for f in across.failed}
    assert not shown & {"ep_gone_generating", "ep_gone_failed"}
