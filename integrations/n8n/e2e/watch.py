"""Following projects' episodes through the API, as the reader's app would, until final."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

FINAL = ("PUBLISHED", "FAILED")
POLL_SECONDS = 0.2


@dataclass
class Watched:
    label: str
    project_id: str
    episode_id: str | None = None
    last: tuple[Any, ...] | None = None
    # Each change of stage or percent while GENERATING, e.g. "writing 45%", in order.
    progress: list[str] = field(default_factory=list)
    # The episode with its blocks, read once it is final (or when time ran out).
    episode: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.episode is not None and self.episode["status"] in FINAL

    def poll(
        self, api: httpx.Client, session: Mapping[str, str], say: Callable[[str], None]
    ) -> None:
        if self.episode_id is None:
            page = api.get(f"/v1/projects/{self.project_id}/episodes", headers=session).json()
            if not page["items"]:
                return
            self.episode_id = str(page["items"][-1]["id"])
        status = api.get(f"/v1/episodes/{self.episode_id}/status", headers=session).json()
        now = (status["status"], status.get("stage"), status.get("percent"))
        if now != self.last:
            self.last = now
            stage = f" {now[1]} {now[2]}%" if now[1] else ""
            say(f"{self.label}: episode {self.episode_id} {now[0]}{stage}")
            if now[1] and now[0] == "GENERATING":
                self.progress.append(f"{now[1]} {now[2]}%")
        if now[0] in FINAL:
            self.read(api, session)

    def read(self, api: httpx.Client, session: Mapping[str, str]) -> None:
        if self.episode_id is not None:
            self.episode = api.get(f"/v1/episodes/{self.episode_id}", headers=session).json()


def watch(
    api: httpx.Client,
    session: Callable[[], Mapping[str, str]],
    watched: list[Watched],
    alive: Callable[[], None],
    say: Callable[[str], None],
    timeout: float,
) -> None:
    """Poll every episode until all are final or ``timeout`` has passed; ``alive`` raises
    when a process the run needs has died, so a crash fails at once, not at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        pending = [w for w in watched if not w.final]
        if not pending:
            return
        headers = session()
        for one in pending:
            one.poll(api, headers, say)
        time.sleep(POLL_SECONDS)
    headers = session()
    for one in watched:
        if not one.final:
            one.read(api, headers)
