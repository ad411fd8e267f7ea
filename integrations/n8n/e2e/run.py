"""``make n8n-e2e``: due projects' episodes, generated through a real n8n.

What runs, all on 127.0.0.1, all as in production but for the AI steps:
- n8n (installed by install.sh) with its own user folder, the shipped workflow imported
  as its offline copy (offline_workflow.py: the agents played by Code nodes, everything
  else the shipped workflow's), its credentials imported from plain JSON with this
  run's secrets, published, then started;
- a throwaway PostgreSQL database, migrated as ``manyfutures db upgrade`` does (the test
  suite's helper), and a Redis database number no one else holds (likewise);
- ``manyfutures serve``, ``manyfutures worker`` and ``manyfutures scheduler`` as real
  processes, with RQ, the n8n generator, a callback secret, Clerk authentication and
  SMTP mail to a local aiosmtpd server over STARTTLS (the test suite's, likewise).

A reader signs up through Clerk's webhooks and creates, through the API, two daily
projects due at the same minute in their time zone, within the next one or so. The
driver then only watches: the scheduler claims the slots, a worker POSTs each job to
n8n's webhook, n8n calls back progress and the result over HTTP, signed. One episode
must be PUBLISHED with the stand-ins' text and usage; the other project's writer step
fails every time (offline_workflow.WRITER_FAILS), so its episode must go through the
workflow's failure path and the API's retries to FAILED, its spend still recorded.
The reader gets an email about each.

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
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from clerk import Clerk, sign_up
from n8n_instance import HEADER_NAME, N8nInstance, Secrets
from offline_workflow import SHIPPED, TITLE_SUFFIX, WRITER_FAILS, offline_copy
from processes import Processes
from verdict import Outcome, judge_failed, judge_mail, judge_published
from watch import Watched, watch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))  # the test suite's database and Redis helpers

from tests.integration.postgres.database import MigratedDatabase, session_database  # noqa: E402
from tests.support.redis_server import private_database, redis_server  # noqa: E402
from tests.support.smtp_server import SENDER, RecordingHandler, smtp_server  # noqa: E402
from tests.support.tls import Certificates, make_certificates  # noqa: E402

MANYFUTURES = str(Path(sys.executable).with_name("manyfutures"))
USER, ORG, EMAIL, ZONE = "user_e2e_ada", "org_e2e", "ada@example.org", "Asia/Kolkata"
APP_URL = "https://app.manyfutures-e2e.test"  # the front end the emails link to
PUBLISHED_TITLE, PUBLISHED_BRIEF = "Grid-scale storage", "Batteries, policy and prices in India"
FAILING_TITLE, FAILING_BRIEF = "Hydrogen steel", f"Green steel's prospects {WRITER_FAILS}"
STEP_SECONDS = 2.0  # each stand-in agent step, so every stage's progress can be seen


class Timeline:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.marks: dict[str, float] = {}

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {message}", flush=True)

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic() - self.started


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
    database: MigratedDatabase,
    redis_url: str,
    smtp: tuple[int, Certificates],
    api_port: int,
    n8n: N8nInstance,
    secrets: Secrets,
) -> dict[str, str]:
    """The production settings of serve, worker and scheduler (README, "Running in
    production"), pointed at this run's database, Redis, SMTP server and n8n."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MANYFUTURES_", "N8N_", "CLERK_"))
    }
    return {
        **inherited,
        "MANYFUTURES_STORAGE": "postgres",
        # Loopback-only run: fixed secrets sign the unsubscribe links and console cookies.
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "e2e-unsubscribe-secret-0123456789abcdef",
        "MANYFUTURES_CONSOLE_SECRET": "e2e-console-secret-0123456789abcdef01234",
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
        "MANYFUTURES_EMAIL": "smtp",
        "MANYFUTURES_SMTP_URL": f"smtp://127.0.0.1:{smtp[0]}",
        "MANYFUTURES_SMTP_FROM": SENDER,
        "MANYFUTURES_APP_URL": APP_URL,
        # The SMTP server's STARTTLS certificate is signed by the run's own CA.
        "SSL_CERT_FILE": str(smtp[1].ca_file),
        "MANYFUTURES_HOST": "127.0.0.1",
        "MANYFUTURES_PORT": str(api_port),
        "MANYFUTURES_LOG_LEVEL": "INFO",
    }


def first_slot(zone: str) -> datetime:
    """The next whole minute at least 15 s away, in ``zone``: soon, but never so close
    that it has passed by the time the project is created."""
    now = datetime.now(ZoneInfo(zone))
    return (now + timedelta(seconds=75)).replace(second=0, microsecond=0)


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


def create_project(api: httpx.Client, clerk: Clerk, title: str, brief: str, slot: datetime) -> str:
    """A daily project delivered at ``slot``'s time in the reader's own zone (the default)."""
    created = api.post(
        "/v1/projects",
        headers=clerk.session(USER, ORG),
        json={
            "title": title,
            "brief": brief,
            "cadence": {"mode": "daily"},
            "deliveryTime": slot.strftime("%H:%M"),
        },
    )
    if created.status_code != 201:
        raise RuntimeError(f"creating the project: {created.status_code} {created.text}")
    project: dict[str, Any] = created.json()
    if datetime.fromisoformat(project["nextScheduledAt"]) != slot or project["timezone"] != ZONE:
        raise RuntimeError(f"the project is not due at {slot.isoformat()}: {project}")
    return str(project["id"])


def run(args: argparse.Namespace, work: Path, timeline: Timeline, outcome: Outcome) -> None:
    n8n = N8nInstance(args.cache.resolve(), work / "n8n", free_port(), free_port())
    secrets = Secrets(os.urandom(24).hex(), os.urandom(32).hex())
    workflow = offline_copy(json.loads(SHIPPED.read_text()), STEP_SECONDS)
    (work / "workflow.json").write_text(json.dumps(workflow, indent=2))
    with ExitStack() as stack:
        # Entered first, left last: every process is stopped before the database is dropped.
        database = stack.enter_context(session_database())
        redis_url = stack.enter_context(private_database(stack.enter_context(redis_server())))
        mailbox, certificates = RecordingHandler(), make_certificates(work)
        smtp_port = stack.enter_context(smtp_server(mailbox, **certificates.starttls()))
        timeline.say(
            f"database {database.name} migrated; Redis {redis_url}; SMTP 127.0.0.1:{smtp_port}"
        )
        processes = stack.enter_context(stopped_at_exit(Processes(work), timeline))

        timeline.say("n8n: importing the credentials and the offline workflow, publishing it")
        n8n.set_up(workflow, secrets, work / "n8n-cli.log")
        timeline.mark("n8n set up")
        n8n.start(processes)
        n8n.wait_until_serving(processes, timeout=args.start_timeout)
        timeline.mark("n8n serving")
        timeline.say(f"n8n {n8n.base_url}: workflow published, webhook registered")

        api_port = free_port()
        clerk = Clerk()
        env = {
            **backend_environment(
                database, redis_url, (smtp_port, certificates), api_port, n8n, secrets
            ),
            **clerk.settings(),
        }
        # Started after n8n serves, so no job meets a webhook that is not registered yet.
        for command in ("serve", "worker", "scheduler"):
            processes.start(command, [MANYFUTURES, command], env)
        api = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10))
        wait_for(
            "the API", lambda: api.get("/readyz").status_code == 200, processes, args.start_timeout
        )
        timeline.mark("backend serving")
        timeline.say(f"API {api.base_url}, worker and scheduler running")

        sign_up(clerk, api, USER, ORG, EMAIL, ZONE)
        slot = first_slot(ZONE)
        published = Watched(
            "published", create_project(api, clerk, PUBLISHED_TITLE, PUBLISHED_BRIEF, slot)
        )
        failing = Watched("failing", create_project(api, clerk, FAILING_TITLE, FAILING_BRIEF, slot))
        timeline.say(
            f"{USER} signed up; projects {published.project_id} and {failing.project_id} "
            f"due daily at {slot:%H:%M} {ZONE}, in {max(0.0, slot.timestamp() - time.time()):.0f} s"
        )
        watch(
            api,
            lambda: clerk.session(USER, ORG),
            [published, failing],
            processes.check_alive,
            timeline.say,
            args.timeout,
        )
        timeline.mark("episodes final")
        judge_published(published, database.owner_engine, PUBLISHED_TITLE + TITLE_SUFFIX, outcome)
        judge_mail(published, mailbox, EMAIL, APP_URL, processes.check_alive, outcome)
        judge_failed(failing, database.owner_engine, outcome)
        judge_mail(failing, mailbox, EMAIL, APP_URL, processes.check_alive, outcome)
        if published.episode and published.episode.get("publishedAt"):
            at = datetime.fromisoformat(published.episode["publishedAt"])
            timeline.say(f"due → published: {(at - slot).total_seconds():.1f} s")


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "n8n")
    parser.add_argument(
        "--timeout", type=float, default=240, help="seconds from the project to its episode"
    )
    parser.add_argument("--start-timeout", type=float, default=120, help="per process start")
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the run's folder after a pass"
    )
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
        if args.keep_logs:
            marks += f"; logs kept in {work}"
        else:
            shutil.rmtree(work, ignore_errors=True)
        print(f"n8n-e2e PASSED in {elapsed:.1f} s ({marks})")
        return 0
    print(f"n8n-e2e FAILED after {elapsed:.1f} s ({marks}); logs kept in {work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
