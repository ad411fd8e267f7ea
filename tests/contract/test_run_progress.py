"""Progress in one guarded write: ``runs.advance_progress``.

The episode moves only forward (stage, then percent), only while its run is open and
the episode GENERATING, and never backwards however many reports race each other or
the run's result.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from manyfutures.core.episodes.episode import EpisodeStatus, GenerationStage
from manyfutures.core.generation.run import RunStatus
from tests.contract.conftest import Storage
from tests.contract.test_run_lock import GRACE
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

RESEARCH, WRITING, REVIEW = (
    GenerationStage.RESEARCH,
    GenerationStage.WRITING,
    GenerationStage.REVIEW,
)
LATER = T0 + timedelta(minutes=5)


def generating(storage: Storage, org: str = "org_a") -> None:
    """org's episode GENERATING at (research, 0) under the open run ``run_<org>``."""
    seed(storage, org)
    with storage.uow(org) as uow:
        episode = uow.episodes.get(f"ep_{org}")
        assert episode is not None
        episode.start_generation(T0)
        uow.episodes.update(episode)
        uow.queue.add(b.queue_item(f"queue_{org}", f"proj_{org}", f"ep_{org}", org))
        uow.runs.add(b.generation_run(f"run_{org}", f"ep_{org}", f"queue_{org}", org))
        uow.commit()


def advance(storage: Storage, stage: GenerationStage, percent: int, org: str = "org_a") -> bool:
    with storage.uow(org) as uow:
        moved = uow.runs.advance_progress(f"run_{org}", stage, percent, LATER)
        uow.commit()
        return moved


def progress(storage: Storage, org: str = "org_a") -> tuple[GenerationStage | None, int]:
    with storage.uow(org) as uow:
        episode = uow.episodes.get(f"ep_{org}")
        assert episode is not None
        return episode.progress_stage, episode.progress_percent


def test_progress_moves_forward_by_stage_then_percent(storage: Storage) -> None:
    generating(storage)
    assert advance(storage, RESEARCH, 30) is True
    with storage.uow("org_a") as uow:
        episode = uow.episodes.get("ep_org_a")
        assert episode is not None
        assert (episode.progress_stage, episode.progress_percent) == (RESEARCH, 30)
        assert episode.updated_at == LATER
        assert episode.status is EpisodeStatus.GENERATING
    assert advance(storage, RESEARCH, 30) is False  # the same report again
    assert advance(storage, RESEARCH, 20) is False  # behind
    assert advance(storage, WRITING, 10) is True  # a later stage, a lower percent
    assert advance(storage, RESEARCH, 90) is False  # an earlier stage
    assert progress(storage) == (WRITING, 10)


def test_nothing_moves_once_the_run_finished_or_the_episode_left_generating(
    storage: Storage,
) -> None:
    generating(storage)
    with storage.uow("org_a") as uow:
        run = uow.runs.get("run_org_a")
        assert run is not None
        run.finish(RunStatus.FAILED, T0, "superseded")
        uow.runs.update(run)
        uow.commit()
    assert advance(storage, WRITING, 50) is False
    assert progress(storage) == (RESEARCH, 0)

    generating(storage, "org_b")
    with storage.uow("org_b") as uow:
        episode = uow.episodes.get("ep_org_b")
        assert episode is not None
        episode.publish(title="t", summary="s", sources=[], reading_minutes=1, now=T0)
        uow.episodes.update(episode)
        uow.commit()
    published = progress(storage, "org_b")
    assert advance(storage, WRITING, 50, "org_b") is False
    assert progress(storage, "org_b") == published


def test_another_organizations_run_is_not_found(storage: Storage) -> None:
    generating(storage, "org_a")
    seed(storage, "org_b")
    with storage.uow("org_b") as uow:
        assert uow.runs.advance_progress("run_org_a", WRITING, 50, LATER) is False
        assert uow.runs.advance_progress("run_missing", WRITING, 50, LATER) is False
        uow.commit()
    assert progress(storage) == (RESEARCH, 0)


def test_a_staged_write_is_judged_first(storage: Storage) -> None:
    generating(storage)
    with storage.uow("org_a") as uow:
        episode = uow.episodes.get("ep_org_a")
        assert episode is not None
        assert episode.report_progress(REVIEW, 10, T0)
        uow.episodes.update(episode)
        assert uow.runs.advance_progress("run_org_a", WRITING, 90, LATER) is False
        uow.commit()
    assert progress(storage) == (REVIEW, 10)


def test_racing_reports_never_move_progress_backwards(storage: Storage) -> None:
    generating(storage)
    reports = [(stage, percent) for stage in (RESEARCH, WRITING, REVIEW) for percent in (5, 50, 95)]
    start = threading.Barrier(len(reports))
    moved: list[tuple[GenerationStage, int]] = []

    def report(stage: GenerationStage, percent: int) -> None:
        start.wait(timeout=10)
        if advance(storage, stage, percent):
            moved.append((stage, percent))

    threads = [threading.Thread(target=report, args=pair) for pair in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert progress(storage) == (REVIEW, 95)
    assert (REVIEW, 95) in moved


def test_progress_waits_for_the_result_holding_the_run_and_then_applies_nothing(
    storage: Storage,
) -> None:
    generating(storage)
    events: list[str] = []
    outcome: list[bool] = []

    def progress_report() -> None:
        outcome.append(advance(storage, WRITING, 60))
        events.append("progress judged")

    with storage.uow("org_a") as result:
        run = result.runs.get_for_update("run_org_a")
        assert run is not None
        other = threading.Thread(target=progress_report)
        other.start()
        other.join(timeout=GRACE)
        events.append("result applied")
        run.finish(RunStatus.SUCCEEDED, T0)
        result.runs.update(run)
        episode = result.episodes.get("ep_org_a")
        assert episode is not None
        episode.publish(title="t", summary="s", sources=[], reading_minutes=1, now=T0)
        result.episodes.update(episode)
        result.commit()
    other.join(timeout=10)
    assert events == ["result applied", "progress judged"]
    assert outcome == [False]
    with storage.uow("org_a") as uow:
        episode = uow.episodes.get("ep_org_a")
        assert episode is not None
        assert episode.status is EpisodeStatus.PUBLISHED
        assert episode.updated_at == T0
