"""What the core counts for operators: a port, so the rules never import a metrics library.

Use cases report after their unit of work commits, so a rolled-back change is never
counted. The values are closed sets (enums, booleans): nothing reported here names an
organization, a project or an episode, which keeps every metric's labels bounded.
``NO_TELEMETRY`` is the default, so a use case built without one (tests, tools)
reports nowhere.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Protocol


class AttemptOutcome(enum.StrEnum):
    """How one claimed generation attempt ended."""

    PUBLISHED = "published"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    # The cost gate refused the run's reservation: nothing ran (ADR 0014).
    REFUSED_BY_LIMIT = "refused_by_limit"


class Telemetry(Protocol):
    def attempt_ended(self, outcome: AttemptOutcome) -> None:
        """A generation attempt reached its end."""
        ...

    def published(self, since_due: timedelta) -> None:
        """An episode was published ``since_due`` after its slot fell due."""
        ...

    def reservation(self, granted: bool) -> None:
        """The cost gate granted or refused a run's reservation."""
        ...


class NoTelemetry:
    def attempt_ended(self, outcome: AttemptOutcome) -> None:
        pass

    def published(self, since_due: timedelta) -> None:
        pass

    def reservation(self, granted: bool) -> None:
        pass


NO_TELEMETRY: Telemetry = NoTelemetry()
