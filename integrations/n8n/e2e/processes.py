"""The long-running processes of an end-to-end run: started, watched and always stopped.

Each one starts in a session (and so a process group) of its own, with its output in a
log file of the run's folder. Its own session keeps a Ctrl-C in the terminal from
reaching it directly: the driver stops everything itself, in order, SIGTERM first and
SIGKILL after a grace period, to the whole group, so the children a process started
(gunicorn's workers, n8n's task runner) go with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class ProcessDiedError(RuntimeError):
    pass


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    logs: Path
    started: list[Started] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Started:
        log = self.logs / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def check_alive(self) -> None:
        """Fail fast, with its log, when a process the run needs has stopped."""
        for started in self.started:
            code = started.process.poll()
            if code is not None:
                raise ProcessDiedError(
                    f"{started.name} exited with status {code}; its log ends:\n{started.tail()}"
                )

    def stop_all(self, grace_seconds: float = 15) -> None:
        """Newest first (the scheduler before the worker before the API before n8n)."""
        for started in reversed(self.started):
            _signal_group(started.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for started in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.process.wait(max(0.1, deadline - time.monotonic()))
            # Whatever is left of the group (a child that ignored SIGTERM) is killed.
            _signal_group(started.process, signal.SIGKILL)
            started.process.wait()
        self.started.clear()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
