"""The outbox's settings reach the dispatcher the container builds, and are validated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.container import build_container
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.outbox.ports import TransientDeliveryError
from manyfutures.settings import Settings, SettingsError
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.fakes import ManualClock, ScriptedEmailSender


def dispatcher_with(settings: Settings, sender: ScriptedEmailSender, clock: ManualClock) -> Any:
    """The container's dispatcher, with a manual clock and a scripted server, and its store."""
    container = build_container(settings)
    container.adapters.clock.override(providers.Object(clock))
    container.adapters.email_sender.override(providers.Object(sender))
    with container.adapters.uow_factory()("org_a") as uow:
        uow.organizations.add(b.organization())
        for n in range(3):
            uow.outbox.add(b.outbox_message(f"outbox_{n}"))
        uow.commit()
    return container


def test_the_dispatcher_claims_the_configured_batch_under_the_configured_lease() -> None:
    clock = ManualClock(T0)
    slow = ScriptedEmailSender(clock=clock, takes=timedelta(seconds=0.5))
    container = dispatcher_with(
        Settings(outbox_lease_seconds=0.5, outbox_batch_size=2), slow, clock
    )
    report = container.outbox.dispatch_outbox()()
    # Two claimed; the first send used up the half-second lease, so the second waits.
    assert (report.claimed, report.sent) == (2, 1)
    assert [m.message_id for m in slow.attempted] == ["outbox_0"]


def test_the_dispatcher_gives_up_after_the_configured_attempts() -> None:
    clock = ManualClock(T0)
    refusing = ScriptedEmailSender(*[TransientDeliveryError("451 busy")] * 6)
    container = dispatcher_with(
        Settings(outbox_batch_size=3, outbox_max_attempts=2), refusing, clock
    )
    dispatch = container.outbox.dispatch_outbox()
    dispatch()
    clock.advance(timedelta(hours=2))
    assert dispatch().dead == 3
    with container.adapters.uow_factory()("org_a") as uow:
        message = uow.outbox.get("outbox_0")
    assert message is not None
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 2)


def test_the_defaults() -> None:
    settings = Settings.from_env({})
    assert (
        settings.outbox_poll_seconds,
        settings.outbox_batch_size,
        settings.outbox_lease_seconds,
        settings.outbox_max_attempts,
    ) == (1.0, 10, 600.0, 8)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MANYFUTURES_OUTBOX_POLL_SECONDS", "0"),
        ("MANYFUTURES_OUTBOX_LEASE_SECONDS", "-1"),
        ("MANYFUTURES_OUTBOX_BATCH_SIZE", "0"),
        ("MANYFUTURES_OUTBOX_MAX_ATTEMPTS", "0"),
    ],
)
def test_outbox_settings_must_be_positive(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})
