"""The SMTP adapter against a real server (aiosmtpd on 127.0.0.1).

Each refusal is answered by the server as scripted, and the adapter must sort it:
4xx and lost connections are transient, a 5xx reply to the message is permanent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from manyfutures.adapters.email.smtp import SmtpEmailSender, sender_domain
from manyfutures.core.outbox.ports import (
    EmailMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from tests.support.smtp_server import SENDER, SENDER_DOMAIN, RecordingHandler, smtp_server

MAIL = EmailMessage(
    message_id="outbox_01ABC",
    to="reader@example.org",
    subject="Your Many Futures episode is ready:\nGrid week",
    text="Summary\n\nRead it at /episodes/ep_1",
)


def sender_for(port: int, **options: object) -> SmtpEmailSender:
    settings: dict[str, object] = {"starttls": False, "timeout_seconds": 5.0, **options}
    return SmtpEmailSender("127.0.0.1", port, SENDER, **settings)  # type: ignore[arg-type]


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def port(handler: RecordingHandler) -> Iterator[int]:
    with smtp_server(handler) as port:
        yield port


def test_a_message_is_delivered_with_its_stable_message_id(
    handler: RecordingHandler, port: int
) -> None:
    sender = sender_for(port)
    sender.send(MAIL)
    sender.send(MAIL)
    first, again = handler.received
    assert first.message_id == again.message_id == f"<outbox_01ABC@{SENDER_DOMAIN}>"
    assert first.recipients == ("reader@example.org",)
    assert first.subject == "Your Many Futures episode is ready: Grid week"
    assert first.text.strip() == MAIL.text
    assert (first.content_type, first.html) == ("text/plain", None)


def test_a_message_with_html_arrives_as_multipart_alternative_with_both_parts(
    handler: RecordingHandler, port: int
) -> None:
    html = '<p>Gr\u00fc\u00dfe: <a href="https://app.example.com/episodes/ep_1">read it</a></p>'
    sender_for(port).send(replace(MAIL, html=html))
    (mail,) = handler.received
    assert mail.content_type == "multipart/alternative"
    assert mail.text.strip() == MAIL.text
    assert mail.html is not None and mail.html.strip() == html


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.7.1 Greylisted, try again later", TransientDeliveryError),
        ("452 4.3.1 Insufficient system storage", TransientDeliveryError),
        ("550 5.7.1 Message rejected as spam", PermanentDeliveryError),
        ("554 5.6.0 Message content refused", PermanentDeliveryError),
    ],
)
def test_a_refused_message_is_sorted_by_its_reply_code(reply: str, error: type[Exception]) -> None:
    handler = RecordingHandler(reply)
    with smtp_server(handler) as port, pytest.raises(error, match=reply.split()[0]):
        sender_for(port).send(MAIL)
    assert len(handler.received) == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("550 5.1.1 No such user", PermanentDeliveryError),
        ("450 4.2.1 Mailbox busy", TransientDeliveryError),
    ],
)
def test_a_refused_recipient_is_sorted_by_its_reply_code(
    reply: str, error: type[Exception]
) -> None:
    handler = RecordingHandler(refuse={MAIL.to: reply})
    with smtp_server(handler) as port, pytest.raises(error, match=reply.split()[0]):
        sender_for(port).send(MAIL)
    assert handler.received == []


def test_no_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(TransientDeliveryError, match="cannot reach"):
        sender_for(closed_port).send(MAIL)


def test_a_server_that_does_not_answer_in_time_is_transient() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(TransientDeliveryError):
            sender_for(silent.getsockname()[1], timeout_seconds=0.2).send(MAIL)


def test_a_session_that_cannot_be_set_up_is_transient_whatever_the_code(port: int) -> None:
    """STARTTLS refused (no TLS offered): about our configuration, not this message."""
    with pytest.raises(TransientDeliveryError, match="set-up"):
        sender_for(port, starttls=True).send(MAIL)


class _Accounts:
    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"briefs",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.mark.parametrize(("password", "delivered"), [("s3cret", 1), ("wrong", 0)])
def test_login_with_the_configured_account(password: str, delivered: int) -> None:
    handler = RecordingHandler()
    accounts = {"authenticator": _Accounts(), "auth_require_tls": False}
    with smtp_server(handler, **accounts) as port:
        sender = sender_for(port, username="briefs", password=password)
        if delivered:
            sender.send(MAIL)
        else:
            # A 535 while logging in: set-up, so transient (a password fixed later works).
            with pytest.raises(TransientDeliveryError, match="535"):
                sender.send(MAIL)
    assert len(handler.received) == delivered


def test_the_message_id_domain_comes_from_the_from_address() -> None:
    assert sender_domain("Many Futures <briefs@mail.manyfutures.example>") == (
        "mail.manyfutures.example"
    )
    with pytest.raises(ValueError, match="not an email address"):
        sender_domain("Many Futures")
