"""What passes: each episode as the API shows it and as the database recorded it.

The database is read as its owner (every tenant's rows): the usage ledger, the
generation runs and the notifications, which no API lists; mail as the SMTP server
received it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from offline_workflow import STAND_IN_USAGE, WRITER_ERROR
from sqlalchemy import Engine, text
from watch import Watched

if TYPE_CHECKING:  # run.py puts the repository on the path for the test suite's helpers
    from tests.support.smtp_server import RecordingHandler

STAGES = ["research", "writing", "review"]
MAX_ATTEMPTS = 3  # the backend's retry policy: three attempts in all
MAIL_SECONDS = 30  # the scheduler queues mail every second; a worker delivers it


@dataclass
class Outcome:
    checks: list[tuple[bool, str]] = field(default_factory=list)

    def check(self, passed: bool, what: str) -> None:
        self.checks.append((passed, what))
        print(f"{'PASS' if passed else 'FAIL'}  {what}", flush=True)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(passed for passed, _ in self.checks)


_RECORDS = {
    "usage": "SELECT model, prompt_tokens, completion_tokens, cost_gbp, run_id "
    "FROM token_usage WHERE episode_id = :episode ORDER BY created_at, id",
    "runs": "SELECT id, attempt, status, error FROM generation_runs "
    "WHERE episode_id = :episode ORDER BY attempt",
    "notifications": "SELECT kind, title, link FROM notifications "
    "WHERE link LIKE '/episodes/' || :episode || '%' ORDER BY created_at",
}


def records(owner: Engine, episode_id: str) -> dict[str, list[dict[str, Any]]]:
    with owner.connect() as connection:
        return {
            name: [
                dict(row)
                for row in connection.execute(text(sql), {"episode": episode_id}).mappings()
            ]
            for name, sql in _RECORDS.items()
        }


def _usage(rows: list[dict[str, Any]]) -> str:
    lines = ", ".join(
        f"{row['model']} {row['prompt_tokens']}+{row['completion_tokens']} £{row['cost_gbp']}"
        for row in rows
    )
    return f"{len(rows)} ({lines}), £{sum(row['cost_gbp'] for row in rows)} in all"


def _runs(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{run['id']} attempt {run['attempt']} {run['status']}" for run in rows)


def _found(watched: Watched, outcome: Outcome) -> dict[str, Any] | None:
    if watched.episode is None:
        outcome.check(False, f"{watched.label}: no episode appeared for the project")
    return watched.episode


def judge_published(watched: Watched, owner: Engine, title: str, outcome: Outcome) -> None:
    """Written, reviewed and published in one attempt, every step's usage in the ledger."""
    episode = _found(watched, outcome)
    if episode is None:
        return
    label = watched.label
    outcome.check(
        episode["status"] == "PUBLISHED",
        f"{label}: episode {episode['id']} is {episode['status']} "
        f"(attempts {episode['generationAttempts']}, errors {episode['generationErrors']})",
    )
    outcome.check(episode["title"] == title, f"{label}: title {episode['title']!r}")
    content = " ".join(block["content"] for block in episode.get("blocks", []))
    outcome.check(
        "Checked against its three sources" in content and len(episode["sources"]) == 3,
        f"{label}: {len(content.split())} words from the reviewed draft, "
        f"{len(episode['sources'])} sources, {episode['readingMinutes']} min read",
    )
    stages = list(dict.fromkeys(line.split()[0] for line in watched.progress))
    outcome.check(
        stages == STAGES, f"{label}: progress seen {', '.join(watched.progress) or 'none'}"
    )
    recorded = records(owner, episode["id"])
    usage, runs = recorded["usage"], recorded["runs"]
    expected = [(u["promptTokens"], u["completionTokens"]) for u in STAND_IN_USAGE.values()]
    outcome.check(
        [(row["prompt_tokens"], row["completion_tokens"]) for row in usage] == expected
        and all(row["cost_gbp"] > 0 for row in usage),
        f"{label}: usage rows {_usage(usage)}",
    )
    outcome.check(
        [run["status"] for run in runs] == ["succeeded"]
        and {row["run_id"] for row in usage} == {runs[0]["id"]},
        f"{label}: generation runs {_runs(runs)}",
    )


def judge_failed(watched: Watched, owner: Engine, outcome: Outcome) -> None:
    """The writer fails every attempt: n8n reports each failure, retryable, with the
    research step's usage; the API retries, then fails the episode and tells the reader."""
    episode = _found(watched, outcome)
    if episode is None:
        return
    label = watched.label
    errors = episode["generationErrors"]
    outcome.check(
        episode["status"] == "FAILED"
        and episode["generationAttempts"] == MAX_ATTEMPTS
        and len(errors) == MAX_ATTEMPTS
        and all(WRITER_ERROR in error for error in errors),
        f"{label}: episode {episode['id']} is {episode['status']} after "
        f"{episode['generationAttempts']} attempts; last error {errors[-1] if errors else None!r}",
    )
    recorded = records(owner, episode["id"])
    usage, runs = recorded["usage"], recorded["runs"]
    outcome.check(
        [run["status"] for run in runs] == ["failed"] * MAX_ATTEMPTS,
        f"{label}: generation runs {_runs(runs)}",
    )
    research = STAND_IN_USAGE["Research agent"]
    outcome.check(
        [(row["prompt_tokens"], row["completion_tokens"]) for row in usage]
        == [(research["promptTokens"], research["completionTokens"])] * MAX_ATTEMPTS
        and [row["run_id"] for row in usage] == [run["id"] for run in runs],
        f"{label}: usage so far, one row per failed run: {_usage(usage)}",
    )
    notifications = recorded["notifications"]
    outcome.check(
        [n["kind"] for n in notifications] == ["episode_failed"],
        f"{label}: notifications "
        + ", ".join(f"{n['kind']} {n['title']!r} → {n['link']}" for n in notifications),
    )


def judge_mail(
    watched: Watched,
    mailbox: RecordingHandler,
    reader: str,
    app_url: str,
    alive: Callable[[], None],
    outcome: Outcome,
) -> None:
    """The email a final episode sends its reader ("ready", or "could not be written" with
    a retry link), delivered from the outbox by a worker over SMTP with STARTTLS."""
    episode = watched.episode
    if episode is None or episode["status"] not in ("PUBLISHED", "FAILED"):
        outcome.check(False, f"{watched.label}: no final episode, so no email")
        return
    link = f"{app_url}/episodes/{episode['id']}"
    if episode["status"] == "FAILED":
        link += "/retry"
    deadline = time.monotonic() + MAIL_SECONDS
    while not (found := [m for m in mailbox.received if link in m.text]):
        alive()
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    outcome.check(
        len(found) == 1 and found[0].recipients == (reader,) and found[0].encrypted,
        f"{watched.label}: {len(found)} email over SMTP (STARTTLS) linking to {link}: "
        + ", ".join(f"{m.subject!r} to {', '.join(m.recipients)}" for m in found),
    )
