"""The production container for tests: ``build_container``, then overrides.

Only what a test must drive is replaced: the clock (manual) and ids (sequential).
Overrides are applied right after building, before anything is resolved, because use
cases are singletons that keep the ports they were built with
(src/manyfutures/composition/use_case.py).
"""

from __future__ import annotations

from dependency_injector import providers

from manyfutures.container import Container, build_container
from manyfutures.settings import Settings
from tests.support.builders import T0
from tests.support.fakes import ManualClock, SequentialIds


def deterministic_container(settings: Settings, clock: ManualClock | None = None) -> Container:
    container = build_container(settings)
    container.adapters.clock.override(providers.Object(clock or ManualClock(T0)))
    container.adapters.ids.override(providers.Object(SequentialIds()))
    return container


# What every test running outside memory storage signs unsubscribe links with (required
# there: settings.py); at least 32 characters, as production's must be.
UNSUBSCRIBE_SECRET = "test-unsubscribe-secret-0123456789abcdef"

# What every test serving HTTP outside memory storage signs console cookies with (required
# there: entrypoints/console); at least 32 characters, as production's must be.
CONSOLE_SECRET = "test-console-secret-0123456789abcdef0123"
