"""Whether this run is CI, where a test that cannot reach its server fails, never skips."""

from __future__ import annotations

import os


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
