"""``make n8n-e2e``: a due project's episode, written and published through a real n8n.

What runs, all on 127.0.0.1, all as in production but for the AI steps:
- n8n (installed by install.sh) with its own user folder, the shipped workflow imported
  as its offline copy (offline_workflow.py: the agents played by Code nodes, everything
  else the shipped workflow's), its credentials imported from plain JSON with this
  run's secrets, published, then started;
- a throwaway PostgreSQL database, migrated as ``manyfutures db upgrade`` does (the test
  suite's helper), and a Redis database number no one else holds (likewise);
- ``manyfutures serve``, ``manyfutures worker`` and ``manyfutures scheduler`` as real
  processes, with RQ, the n8n generator, a callback secret and Clerk authentication.

A reader signs up through Clerk's webhooks and creates, through the API, a daily project
whose delivery time (in the reader's time zone) is within the next minute or so. The
driver then only watches: the scheduler claims the slot, a worker POSTs the job to
n8n's webhook, n8n calls back progress and the episode over HTTP, signed. It passes
when the episode is PUBLISHED with the stand-ins' text and usage, within a timeout.

Every process is stopped on the way out, however the run ends (Ctrl-C included); the
run's folder (logs, n8n's user folder) is removed after a pass and kept after a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from clerk import Clerk, sign_up
from n8n_instance import HEADER_NAME, N8nInstance, Secrets
from offline_workflow import SHIPPED, STAND_IN_USAGE, TITLE_SUFFIX, offline_copy
from processes import Processes
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))  # the test suite's database and Redis helpers

from tests.integration.postgres.database import MigratedDatabase, session_database  # noqa: E402
from tests.support.redis_server import private_database, redis_server  # noqa: E402

MANYFUTURES = str(Path(sys.executable).with_name("manyfutures"))
USER, ORG, EMAIL, ZONE = "user_e2e_ada", "org_e2e", "ada@example.org", "Asia/Kolkata"
PROJECT_TITLE = "Grid-scale storage"
STEP_SECONDS = 2.0  # each stand-in agent step, so every stage's progress can be seen
POLL_SECONDS = 0.2
STAGES = ["research", "writing", "review"]


class Timeline:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.marks: dict[str, float] = {}

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {message}", flush=True)

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic() - self.started


@dataclass
class Outcome:
    checks: list[tuple[bool, str]] = field(default_factory=list)

    def check(self, passed: bool, what: str) -> None:
        self.checks.append((passed, what))
        print(f"{'PASS' if passed else 'FAIL'}  {what}", flush=True)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(passed for passed, _ in self.checks)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, ready: Callable[[], bool], processes: Processes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        processes.check_alive()
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.2)


def backend_environment(
    database: MigratedDatabase, redis_url: str, api_port: int, n8n: N8nInstance, secrets: Secrets
) -> dict[str, str]:
    """The production settings of serve, worker and scheduler (README, "Running in
    production"), pointed at this run's database, Redis, n8n and Clerk."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MANYFUTURES_", "N8N_", "CLERK_"))
    }
    return {
        **inherited,
        "MANYFUTURES_STORAGE": "postgres",
        "MANYFUTURES_DATABASE_URL": database.owner_url.render_as_string(hide_password=False),
        "MANYFUTURES_APP_DATABASE_URL": database.app_url.render_as_string(hide_password=False),
        "MANYFUTURES_DB_APP_ROLE": database.app_role,
        "MANYFUTURES_DB_SCHEDULER_ROLE": database.scheduler_role,
        "MANYFUTURES_DISPATCHER": "rq",
        "MANYFUTURES_REDIS_URL": redis_url,
        "MANYFUTURES_GENERATOR": "n8n",
        "N8N_WEBHOOK_URL": n8n.webhook_url,
        "N8N_WEBHOOK_HEADER_NAME": HEADER_NAME,
        "N8N_WEBHOOK_HEADER_VALUE": secrets.webhook_header_value,
        "N8N_CALLBACK_SECRET": secrets.callback_secret,
        "MANYFUTURES_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "MANYFUTURES_HOST": "127.0.0.1",
        "MANYFUTURES_PORT": str(api_port),
        "MANYFUTURES_LOG_LEVEL": "INFO",
    }


def first_slot(zone: str) -> datetime:
    """The next whole minute at least 15 s away, in ``zone``: soon, but never so close
    that it has passed by the time the project is created."""
    now = datetime.now(ZoneInfo(zone))
    return (now + timedelta(seconds=75)).replace(second=0, microsecond=0)


@dataclass
class Watched:
    episode: dict[str, Any] | None = None
    progress: list[str] = field(default_factory=list)


def watch_episode(
    api: httpx.Client,
    clerk: Clerk,
    project_id: str,
    processes: Processes,
    timeline: Timeline,
    timeout: float,
) -> Watched:
    """Poll the API as the reader's app would, until the episode is final or time is up."""
    watched = Watched()
    episode_id: str | None = None
    last: tuple[Any, ...] | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        session = clerk.session(USER, ORG)
        if episode_id is None:
            page = api.get(f"/v1/projects/{project_id}/episodes", headers=session).json()
            if page["items"]:
                episode_id = str(page["items"][-1]["id"])
        else:
            status = api.get(f"/v1/episodes/{episode_id}/status", headers=session).json()
            now = (status["status"], status.get("stage"), status.get("percent"))
            if now != last:
                last = now
                stage = f" {now[1]} {now[2]}%" if now[1] else ""
                timeline.say(f"episode {episode_id} {now[0]}{stage}")
                if now[1] and now[0] == "GENERATING":
                    watched.progress.append(f"{now[1]} {now[2]}%")
            if now[0] in ("PUBLISHED", "FAILED"):
                watched.episode = api.get(f"/v1/episodes/{episode_id}", headers=session).json()
                return watched
        time.sleep(POLL_SECONDS)
    if episode_id is not None:
        session = clerk.session(USER, ORG)
        watched.episode = api.get(f"/v1/episodes/{episode_id}", headers=session).json()
    return watched


def ledger(database: MigratedDatabase, episode_id: str) -> dict[str, list[dict[str, Any]]]:
    """What the database recorded for the episode, read as the owner (every tenant's rows)."""
    queries = {
        "usage": "SELECT model, prompt_tokens, completion_tokens, cost_gbp, run_id "
        "FROM token_usage WHERE episode_id = :episode ORDER BY created_at, id",
        "runs": "SELECT id, attempt, status, error FROM generation_runs "
        "WHERE episode_id = :episode ORDER BY attempt",
        "emails": "SELECT recipient, subject, status FROM outbox_messages "
        "WHERE recipient = :email ORDER BY created_at",
    }
    with database.owner_engine.connect() as connection:
        return {
            name: [
                dict(row)
                for row in connection.execute(
                    text(sql), {"episode": episode_id, "email": EMAIL}
                ).mappings()
            ]
            for name, sql in queries.items()
        }


def judge(watched: Watched, database: MigratedDatabase, outcome: Outcome) -> None:
    episode = watched.episode
    if episode is None:
        outcome.check(False, "no episode appeared for the project")
        return
    expected_title = PROJECT_TITLE + TITLE_SUFFIX
    outcome.check(
        episode["status"] == "PUBLISHED",
        f"episode {episode['id']} is {episode['status']} "
        f"(attempts {episode['generationAttempts']}, errors {episode['generationErrors']})",
    )
    outcome.check(episode["title"] == expected_title, f"title: {episode['title']!r}")
    content = " ".join(block["content"] for block in episode.get("blocks", []))
    outcome.check(
        "Checked against its three sources" in content and len(episode["sources"]) == 3,
        f"content: {len(content.split())} words from the reviewed draft, "
        f"{len(episode['sources'])} sources, {episode['readingMinutes']} min read",
    )
    stages = list(dict.fromkeys(line.split()[0] for line in watched.progress))
    outcome.check(stages == STAGES, f"progress seen: {', '.join(watched.progress) or 'none'}")
    recorded = ledger(database, episode["id"])
    usage = recorded["usage"]
    expected = [(u["promptTokens"], u["completionTokens"]) for u in STAND_IN_USAGE.values()]
    total = sum(row["cost_gbp"] for row in usage)
    outcome.check(
        [(row["prompt_tokens"], row["completion_tokens"]) for row in usage] == expected
        and all(row["cost_gbp"] > 0 for row in usage),
        f"usage rows: {len(usage)} ("
        + ", ".join(
            f"{row['model']} {row['prompt_tokens']}+{row['completion_tokens']} £{row['cost_gbp']}"
            for row in usage
        )
        + f"), £{total} in all",
    )
    runs = recorded["runs"]
    outcome.check(
        [run["status"] for run in runs] == ["succeeded"]
        and {row["run_id"] for row in usage} == {runs[0]["id"]},
        "generation runs: "
        + ", ".join(f"{run['id']} attempt {run['attempt']} {run['status']}" for run in runs),
    )
    outcome.check(
        bool(recorded["emails"]),
        f"emails queued for {EMAIL}: "
        + (", ".join(f"{m['subject']!r} ({m['status']})" for m in recorded["emails"]) or "none"),
    )


@contextmanager
def stopped_at_exit(processes: Processes, timeline: Timeline) -> Iterator[Processes]:
    try:
        yield processes
    finally:
        if processes.started:
            timeline.say("stopping " + ", ".join(s.name for s in reversed(processes.started)))
            # A second Ctrl-C must not leave the rest running: stopping is not interruptible.
            previous = {
                signum: signal.signal(signum, signal.SIG_IGN)
                for signum in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                processes.stop_all()
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)


def run(args: argparse.Namespace, work: Path, timeline: Timeline, outcome: Outcome) -> None:
    n8n = N8nInstance(args.cache.resolve(), work / "n8n", free_port(), free_port())
    secrets = Secrets(os.urandom(24).hex(), os.urandom(32).hex())
    shipped = json.loads(SHIPPED.read_text())
    workflow = offline_copy(shipped, STEP_SECONDS)
    (work / "workflow.json").write_text(json.dumps(workflow, indent=2))
    with ExitStack() as stack:
        # Entered first, left last: every process is stopped before the database is dropped.
        database = stack.enter_context(session_database())
        redis_url = stack.enter_context(private_database(stack.enter_context(redis_server())))
        timeline.say(f"database {database.name} migrated; Redis {redis_url}")
        processes = stack.enter_context(stopped_at_exit(Processes(work), timeline))
        timeline.say("n8n: importing the credentials and the offline workflow, publishing it")
        n8n.set_up(workflow, secrets, work / "n8n-cli.log")
        timeline.mark("n8n set up")
        n8n.start(processes)
        n8n.wait_until_serving(processes, timeout=args.start_timeout)
        timeline.mark("n8n serving")
        timeline.say(f"n8n {n8n.base_url}: webhook registered")

        api_port = free_port()
        clerk = Clerk()
        env = {
            **backend_environment(database, redis_url, api_port, n8n, secrets),
            **clerk.settings(),
        }
        # Started after n8n serves, so no job meets a webhook that is not registered yet.
        processes.start("api", [MANYFUTURES, "serve"], env)
        processes.start("worker", [MANYFUTURES, "worker"], env)
        processes.start("scheduler", [MANYFUTURES, "scheduler"], env)
        api = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10))
        wait_for(
            "the API", lambda: api.get("/readyz").status_code == 200, processes, args.start_timeout
        )
        timeline.mark("backend serving")
        timeline.say(f"API {api.base_url}, worker and scheduler running")

        sign_up(clerk, api, USER, ORG, EMAIL, ZONE)
        slot = first_slot(ZONE)
        created = api.post(
            "/v1/projects",
            headers=clerk.session(USER, ORG),
            json={
                "title": PROJECT_TITLE,
                "brief": "Batteries, policy and prices in India and beyond",
                "cadence": {"mode": "daily"},
                "deliveryTime": slot.strftime("%H:%M"),
            },
        )
        if created.status_code != 201:
            raise RuntimeError(f"creating the project: {created.status_code} {created.text}")
        project = created.json()
        due = datetime.fromisoformat(project["nextScheduledAt"])
        outcome.check(
            due == slot and project["timezone"] == ZONE,
            f"project {project['id']}: daily at {project['deliveryTime']} {project['timezone']}, "
            f"first slot {due.isoformat()}",
        )
        timeline.say(f"waiting for the slot ({max(0.0, due.timestamp() - time.time()):.0f} s)")
        watched = watch_episode(api, clerk, project["id"], processes, timeline, args.timeout)
        timeline.mark("episode final")
        judge(watched, database, outcome)
        if watched.episode and watched.episode.get("publishedAt"):
            published = datetime.fromisoformat(watched.episode["publishedAt"])
            timeline.say(f"due → published: {(published - due).total_seconds():.1f} s")


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "n8n")
    parser.add_argument(
        "--timeout", type=float, default=240, help="seconds from the project to its episode"
    )
    parser.add_argument("--start-timeout", type=float, default=120, help="per process start")
    args = parser.parse_args()
    # SIGINT too: a shell starting the run in the background would have it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    work = Path(tempfile.mkdtemp(prefix="manyfutures-n8n-e2e-"))
    timeline, outcome = Timeline(), Outcome()
    try:
        run(args, work, timeline, outcome)
    except KeyboardInterrupt as stop:
        outcome.check(False, f"interrupted ({stop})")
    except Exception as error:  # reported as the run's failure; the logs are kept
        outcome.check(False, f"{type(error).__name__}: {error}")
    marks = ", ".join(f"{name} at {seconds:.1f} s" for name, seconds in timeline.marks.items())
    elapsed = time.monotonic() - timeline.started
    if outcome.passed:
        shutil.rmtree(work, ignore_errors=True)
        print(f"n8n-e2e PASSED in {elapsed:.1f} s ({marks})")
        return 0
    print(f"n8n-e2e FAILED after {elapsed:.1f} s ({marks}); logs kept in {work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
