"""`.ci/run` is what every stop runs on a clean clone; a syntax error there fails CI before
a single test runs, and nothing else in the suite would notice it."""

from __future__ import annotations

import subprocess
from pathlib import Path

CI_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "run"


def test_the_ci_script_parses_and_ends_with_make_check() -> None:
    parsed = subprocess.run(["bash", "-n", str(CI_SCRIPT)], capture_output=True, text=True)

    assert parsed.returncode == 0, parsed.stderr
    commands = [
        line
        for line in CI_SCRIPT.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make check"
