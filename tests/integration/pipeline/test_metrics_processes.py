"""Multiprocess metrics with real processes: the RQ worker, the scheduler and the API
under gunicorn write into one directory, a scrape of the API sums them, and the
directory holds the same files however many jobs run (no file per job, ADR 0021)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from rq import Worker

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand
from tests.integration.pipeline.conftest import Pipeline, eventually

pytestmark = pytest.mark.integration

TOKEN = "metrics-scrape-token-for-tests"
ORGS, PROJECTS_EACH = 3, 8  # 24 episodes: 48 generation and simulation jobs, plus mail
PID_IN_NAME = re.compile(r"_(\d+)\.db$")
SLOT_IN_NAME = re.compile(r"_(slot\d+)\.db$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_one_directory_for_every_process_and_no_file_per_job(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    shared = {
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "MANYFUTURES_METRICS_GAUGE_SECONDS": "0.2",
        # Long enough for a machine busy enough to take seconds starting a job: this test
        # counts publications, not recoveries.
        "MANYFUTURES_START_LEASE_SECONDS": "120",
        "MANYFUTURES_GENERATION_DEADLINE_SECONDS": "240",
    }
    container = pipeline.container()
    episodes: list[tuple[str, str]] = []
    for n in range(ORGS):
        actor = pipeline.member(container, f"org_{n}", f"user_{n}")
        for p in range(PROJECTS_EACH):
            project = container.projects.create_project()(
                CreateProjectCommand(actor, f"Project {p}", "Brief", deliver_first_now=True)
            )
            with container.adapters.uow_factory()(f"org_{n}") as uow:
                (item,) = uow.queue.list_for_project(project.id)
            episodes.append((f"org_{n}", item.episode_id))

    worker = pipeline.start("worker", **shared)
    connection = pipeline.redis()
    eventually(lambda: len(Worker.all(connection=connection)) == 1, 30, pipeline.logs_text)
    scheduler = pipeline.start("scheduler", **shared)
    port = _free_port()
    api = pipeline.start(
        "serve", "--port", str(port), "--workers", "2", MANYFUTURES_METRICS_TOKEN=TOKEN, **shared
    )

    def published() -> int:
        count = 0
        for org, episode_id in episodes:
            with container.adapters.uow_factory()(org) as uow:
                episode = uow.episodes.get(episode_id)
            count += episode is not None and episode.status is EpisodeStatus.PUBLISHED
        return count

    eventually(lambda: published() >= 4, 150, pipeline.logs_text)
    files_early = sorted(path.name for path in directory.iterdir())
    eventually(lambda: published() == len(episodes), 180, pipeline.logs_text)

    def scrape() -> str:
        response = httpx.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {TOKEN}", "X-Request-Id": "scrape-1"},
            timeout=5,
        )
        assert response.status_code == 200, response.text
        assert response.headers["X-Request-Id"] == "scrape-1"
        return response.text

    eventually(lambda: _answers(port), 30, pipeline.logs_text)
    text = scrape()
    (tmp_path / "scrape.txt").write_text(text)
    files_late = sorted(path.name for path in directory.iterdir())

    assert set(files_early) <= set(files_late)  # nothing went away; what came, the slots tell
    slots = {m.group(1) for name in files_late if (m := SLOT_IN_NAME.search(name))}
    # The worker, the scheduler and the server's two workers (not its master): no job's
    # own, and no file named by a pid.
    assert slots == {"slot0", "slot1", "slot2", "slot3"}, files_late
    assert not [name for name in files_late if PID_IN_NAME.search(name)], files_late
    data_files = [name for name in files_late if name.endswith(".db")]
    assert len(data_files) <= 4 * 4  # at most counter, histogram and two gauge files each

    assert _sample(text, 'manyfutures_generation_attempts_total{outcome="published"}') == len(
        episodes
    )
    assert _sample(text, 'manyfutures_reservations_total{result="granted"}') == len(episodes)
    assert _sample(text, "manyfutures_due_to_published_seconds_count") == len(episodes)
    assert _sample(text, "manyfutures_scheduler_claimed_per_tick_sum") >= len(episodes)
    assert _sample(text, 'manyfutures_outbox_deliveries_total{result="sent"}') >= 1

    def gauges_settled() -> bool:
        return _sample(scrape(), 'manyfutures_queue_items{status="processing"}') == 0

    eventually(gauges_settled, 30, pipeline.logs_text)
    pipeline.stop(worker)
    pipeline.stop(scheduler)
    pipeline.stop(api)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


FORKING_PROCESS = """
import os, sys
from datetime import timedelta
from manyfutures.adapters.metrics.prometheus import PrometheusTelemetry, enable_metrics
from manyfutures.core.shared.telemetry import AttemptOutcome

enable_metrics()
telemetry = PrometheusTelemetry()
telemetry.reservation(granted=True)
for _ in range(3):  # three "jobs", each in a work horse forked as RQ's Worker does
    child = os.fork()
    if child == 0:
        telemetry.reservation(granted=True)
        telemetry.attempt_ended(AttemptOutcome.PUBLISHED)
        telemetry.published(timedelta(seconds=5))
        os._exit(0)
    os.waitpid(child, 0)
print(os.getpid())
"""


def test_a_work_horse_forked_from_a_recording_process_writes_no_file(tmp_path: Path) -> None:
    """The guarantee for a forking worker class (manyfutures worker uses SimpleWorker)."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", FORKING_PROCESS],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    names = {m.group(1) for path in tmp_path.iterdir() if (m := SLOT_IN_NAME.search(path.name))}
    assert names == {"slot0"}
    assert not [path for path in tmp_path.iterdir() if PID_IN_NAME.search(path.name)]


RECORDING_PROCESS = """
import sys, time
from manyfutures.adapters.metrics.prometheus import PrometheusTelemetry, enable_metrics

enable_metrics()
PrometheusTelemetry().reservation(granted=True)
print("recorded", flush=True)
if sys.argv[1] == "stay":
    time.sleep(600)
"""


def test_a_restarted_process_takes_over_its_predecessors_files(tmp_path: Path) -> None:
    """Processes killed and started again (the chaos run kills a worker every few
    seconds) leave the directory's file count flat, and no count is lost or reset."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def start(mode: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", RECORDING_PROCESS, mode],
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline() == "recorded\n"
        return process

    first, second = start("stay"), start("stay")  # alive at once: two slots
    files = sorted(path.name for path in tmp_path.iterdir())
    for _ in range(3):
        first.kill()
        first.wait(10)
        first = start("stay")
        assert sorted(path.name for path in tmp_path.iterdir()) == files
    start("leave").wait(10)  # a slot is free only while its holder is dead: a third opens
    for process in (first, second):
        process.kill()
        process.wait(10)

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    granted = registry.get_sample_value("manyfutures_reservations_total", {"result": "granted"})
    assert granted == 2 + 3 + 1  # the killed processes' counts stayed and were counted on
