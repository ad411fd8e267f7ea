"""The outbox's and SMTP's settings reach what the container builds, and are validated."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.adapters.email.smtp import SmtpEmailSender
from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.container import build_container
from manyfutures.core.outbox.emails import EpisodeReady
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.outbox.ports import EmailMessage, TransientDeliveryError
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


def test_a_refused_message_waits_twice_the_configured_base() -> None:
    clock = ManualClock(T0)
    refusing = ScriptedEmailSender(TransientDeliveryError("451 busy"))
    container = dispatcher_with(
        Settings(outbox_batch_size=1, outbox_retry_base_seconds=2), refusing, clock
    )
    container.outbox.dispatch_outbox()()
    with container.adapters.uow_factory()("org_a") as uow:
        message = uow.outbox.get("outbox_0")
    assert message is not None
    assert message.available_at == T0 + timedelta(seconds=4)


def test_the_defaults() -> None:
    settings = Settings.from_env({})
    assert (
        settings.outbox_poll_seconds,
        settings.outbox_batch_size,
        settings.outbox_lease_seconds,
        settings.outbox_max_attempts,
        settings.outbox_retry_base_seconds,
    ) == (1.0, 10, 600.0, 8, 30.0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MANYFUTURES_OUTBOX_POLL_SECONDS", "0"),
        ("MANYFUTURES_OUTBOX_LEASE_SECONDS", "-1"),
        ("MANYFUTURES_OUTBOX_BATCH_SIZE", "0"),
        ("MANYFUTURES_OUTBOX_MAX_ATTEMPTS", "0"),
        ("MANYFUTURES_OUTBOX_RETRY_BASE_SECONDS", "0"),
    ],
)
def test_outbox_settings_must_be_positive(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


SMTP = {
    "MANYFUTURES_EMAIL": "smtp",
    "MANYFUTURES_APP_URL": "https://app.example.com",
    "MANYFUTURES_PUBLIC_URL": "https://api.example.com",
    "MANYFUTURES_SMTP_URL": "smtps://briefs%40example.com:pa%3Ass%2Fw%40rd@smtp.example.com",
    "MANYFUTURES_SMTP_FROM": "Many Futures <briefs@example.com>",
}
PASSWORD_PIECES = ("pa:ss/w@rd", "pa%3Ass", "pa:ss", "w%40rd")


def test_email_smtp_builds_the_smtp_sender_from_its_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.from_env(SMTP)
    assert settings.smtp_timeout_seconds == 30.0
    with caplog.at_level(logging.INFO, logger="manyfutures"):
        sender = build_container(settings).adapters.email_sender()
    assert isinstance(sender, SmtpEmailSender)
    mail = EmailMessage(message_id="outbox_1", to="r@example.org", subject="s", text="t")
    assert sender.message_id(mail) == "<outbox_1@example.com>"
    # The URL reached the sender: implicit TLS on 465, the decoded user, no password.
    assert "smtps://briefs%40example.com@smtp.example.com:465" in caplog.text
    assert not any(piece in caplog.text for piece in PASSWORD_PIECES)
    assert isinstance(build_container(Settings()).adapters.email_sender(), ConsoleEmailSender)


def test_the_smtp_password_is_not_in_the_settings_repr() -> None:
    settings = Settings.from_env(SMTP)
    assert not any(piece in repr(settings) for piece in PASSWORD_PIECES)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"MANYFUTURES_SMTP_URL": ""}, "EMAIL=smtp needs MANYFUTURES_SMTP_URL"),
        ({"MANYFUTURES_SMTP_URL": "smtp.example.com"}, "SMTP_URL is malformed: the scheme"),
        ({"MANYFUTURES_SMTP_URL": "https://smtp.example.com"}, "SMTP_URL is malformed: the"),
        ({"MANYFUTURES_SMTP_URL": "smtp://"}, "SMTP_URL is malformed: no host"),
        ({"MANYFUTURES_SMTP_URL": "smtp://smtp.example.com:0"}, "SMTP_URL is malformed: the port"),
        ({"MANYFUTURES_SMTP_URL": "smtp://smtp.example.com:99999"}, "SMTP_URL is malformed"),
        ({"MANYFUTURES_SMTP_URL": "smtp://smtp.example.com/mail"}, "SMTP_URL is malformed: noth"),
        ({"MANYFUTURES_SMTP_URL": "smtp://smtp.example.com?tls=0"}, "SMTP_URL is malformed: noth"),
        ({"MANYFUTURES_SMTP_URL": "smtp://briefs@smtp.example.com"}, "both or neither"),
        ({"MANYFUTURES_SMTP_FROM": "Many Futures"}, "MANYFUTURES_SMTP_FROM"),
        ({"MANYFUTURES_SMTP_TIMEOUT_SECONDS": "0"}, "MANYFUTURES_SMTP_TIMEOUT_SECONDS"),
        ({"MANYFUTURES_EMAIL": "sendgrid"}, "MANYFUTURES_EMAIL='sendgrid'"),
    ],
)
def test_smtp_settings_are_checked_at_start_up(overrides: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env({**SMTP, **overrides})


@pytest.mark.parametrize(
    "url",
    [
        # A '/' left unencoded cuts the URL there: what follows is no port, or a path.
        "smtp://briefs:Zq7:x/K@9@smtp.example.com",
        "smtps://briefs:Zq7:x@smtp.example.com/K@9",
        "smtp://briefs:Zq7:x@[smtp.example.com",
    ],
)
def test_a_malformed_url_is_refused_without_repeating_the_password(url: str) -> None:
    with pytest.raises(SettingsError, match="MANYFUTURES_SMTP_URL") as refused:
        Settings.from_env({**SMTP, "MANYFUTURES_SMTP_URL": url})
    assert not any(piece in str(refused.value) for piece in ("Zq7", "K@9"))


def test_the_app_url_defaults_to_make_runs_address_while_mail_only_goes_to_the_console() -> None:
    assert Settings.from_env({}).app_url == "http://127.0.0.1:8000"
    assert Settings().app_url == "http://127.0.0.1:8000"
    postgres = {
        "MANYFUTURES_STORAGE": "postgres",
        "MANYFUTURES_DATABASE_URL": "postgresql://o@h/d",
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "x" * 32,
    }
    assert Settings.from_env({**postgres, "MANYFUTURES_ALLOW_DEV_AUTH": "1"}).app_url == (
        "http://127.0.0.1:8000"
    )


def test_the_app_url_reaches_the_templates() -> None:
    settings = Settings.from_env({**SMTP, "MANYFUTURES_APP_URL": "https://briefs.example.com/"})
    templates = build_container(settings).adapters.email_templates()
    ready = EpisodeReady("Energy", "ep_1", "Grid week", "Summary", None)
    assert "https://briefs.example.com/episodes/ep_1" in templates.render(ready).text


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"MANYFUTURES_APP_URL": ""}, "EMAIL=smtp needs MANYFUTURES_APP_URL"),
        ({"MANYFUTURES_APP_URL": "app.example.com"}, "MANYFUTURES_APP_URL='app.example.com'"),
        ({"MANYFUTURES_APP_URL": "ftp://app.example.com"}, "is not an http"),
        ({"MANYFUTURES_APP_URL": "https://app.example.com/?ref=mail"}, "is not an http"),
        ({"MANYFUTURES_APP_URL": "https://app.example.com/#top"}, "is not an http"),
    ],
)
def test_the_app_url_is_required_with_real_mail_and_must_be_http(
    overrides: dict[str, str], complaint: str
) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env({**SMTP, **overrides})
    if overrides["MANYFUTURES_APP_URL"]:  # checked with the console sender too
        with pytest.raises(SettingsError, match="MANYFUTURES_APP_URL"):
            Settings.from_env(overrides)
