"""Readiness probes: can this process reach what it needs to serve traffic?

``GET /readyz`` runs every configured probe. Storage and cache adapters each plug a
probe into the HTTP container's ``readiness_probes`` (composition/http.py); memory mode has
none, so it is always ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class ReadinessProbe(Protocol):
    name: str

    def check(self) -> None:
        """Return if the dependency answers; raise anything if it does not."""
        ...


class CallableProbe:
    """Wrap any zero-argument callable, e.g. ``lambda: engine.connect().close()``."""

    def __init__(self, name: str, check: Callable[[], object]) -> None:
        self.name = name
        self._check = check

    def check(self) -> None:
        self._check()


def configured(*probes: ReadinessProbe | None) -> list[ReadinessProbe]:
    """The probes whose dependency is configured (selectors give None for "not used")."""
    return [probe for probe in probes if probe is not None]
