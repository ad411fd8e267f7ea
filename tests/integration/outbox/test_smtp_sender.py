"""The SMTP adapter against a real server (aiosmtpd on 127.0.0.1) over TLS.

Every session is encrypted: STARTTLS for ``smtp://`` (the server refuses mail on a
session that skipped it) and implicit TLS for ``smtps://``, each verified against the
test's own CA (tests/support/tls.py). Each refusal is answered by the server as
scripted, and the adapter must sort it: 4xx and lost connections are transient, a
5xx reply to the message is permanent.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from manyfutures.adapters.email.smtp import SmtpEmailSender, sender_domain
from manyfutures.adapters.email.smtp_url import parse_smtp_url
from manyfutures.core.outbox.ports import (
    EmailMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from tests.support.smtp_server import SENDER, SENDER_DOMAIN, RecordingHandler, smtp_server
from tests.support.tls import Certificates, untrusted_client

MAIL = EmailMessage(
    message_id="outbox_01ABC",
    to="reader@example.org",
    subject="Your Many Futures episode is ready:\nGrid week",
    text="Summary\n\nRead it at /episodes/ep_1",
)
PASSWORD = "s3cr:et/@%"


def sender_for(
    url: str, certificates: Certificates, timeout_seconds: float = 5.0, **options: Any
) -> SmtpEmailSender:
    return SmtpEmailSender(
        parse_smtp_url(url),
        SENDER,
        timeout_seconds=timeout_seconds,
        tls=options.pop("tls", certificates.client),
    )


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def url(handler: RecordingHandler, certificates: Certificates) -> Iterator[str]:
    """A STARTTLS server's URL, as production's default."""
    with smtp_server(handler, **certificates.starttls()) as port:
        yield f"smtp://127.0.0.1:{port}"


def test_a_message_is_delivered_with_its_stable_message_id(
    handler: RecordingHandler, url: str, certificates: Certificates
) -> None:
    sender = sender_for(url, certificates)
    sender.send(MAIL)
    sender.send(MAIL)
    first, again = handler.received
    assert first.encrypted  # STARTTLS; the server refuses MAIL without it anyway
    assert first.message_id == again.message_id == f"<outbox_01ABC@{SENDER_DOMAIN}>"
    assert first.recipients == ("reader@example.org",)
    assert first.subject == "Your Many Futures episode is ready: Grid week"
    assert first.text.strip() == MAIL.text
    assert (first.content_type, first.html) == ("text/plain", None)


def test_a_message_with_html_arrives_as_multipart_alternative_with_both_parts(
    handler: RecordingHandler, url: str, certificates: Certificates
) -> None:
    html = '<p>Gr\u00fc\u00dfe: <a href="https://app.example.com/episodes/ep_1">read it</a></p>'
    sender_for(url, certificates).send(replace(MAIL, html=html))
    (mail,) = handler.received
    assert mail.content_type == "multipart/alternative"
    assert mail.text.strip() == MAIL.text
    assert mail.html is not None and mail.html.strip() == html


def test_smtps_is_tls_from_the_first_byte(certificates: Certificates) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, **certificates.implicit_tls()) as port:
        sender_for(f"smtps://127.0.0.1:{port}", certificates).send(MAIL)
    (mail,) = handler.received
    assert mail.encrypted
    assert mail.message_id == f"<outbox_01ABC@{SENDER_DOMAIN}>"


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_a_certificate_from_an_unknown_ca_is_refused_before_anything_is_sent(
    scheme: str, certificates: Certificates
) -> None:
    """Verification is on: the client that does not trust the test CA sends nothing."""
    handler = RecordingHandler()
    options = certificates.implicit_tls() if scheme == "smtps" else certificates.starttls()
    with smtp_server(handler, **options) as port:
        sender = sender_for(f"{scheme}://127.0.0.1:{port}", certificates, tls=untrusted_client())
        with pytest.raises(TransientDeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            sender.send(MAIL)
    assert handler.received == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.7.1 Greylisted, try again later", TransientDeliveryError),
        ("452 4.3.1 Insufficient system storage", TransientDeliveryError),
        ("550 5.7.1 Message rejected as spam", PermanentDeliveryError),
        ("554 5.6.0 Message content refused", PermanentDeliveryError),
    ],
)
def test_a_refused_message_is_sorted_by_its_reply_code(
    reply: str, error: type[Exception], certificates: Certificates
) -> None:
    handler = RecordingHandler(reply)
    with (
        smtp_server(handler, **certificates.starttls()) as port,
        pytest.raises(error, match=reply.split()[0]),
    ):
        sender_for(f"smtp://127.0.0.1:{port}", certificates).send(MAIL)
    assert len(handler.received) == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("550 5.1.1 No such user", PermanentDeliveryError),
        ("450 4.2.1 Mailbox busy", TransientDeliveryError),
    ],
)
def test_a_refused_recipient_is_sorted_by_its_reply_code(
    reply: str, error: type[Exception], certificates: Certificates
) -> None:
    handler = RecordingHandler(refuse={MAIL.to: reply})
    with (
        smtp_server(handler, **certificates.starttls()) as port,
        pytest.raises(error, match=reply.split()[0]),
    ):
        sender_for(f"smtp://127.0.0.1:{port}", certificates).send(MAIL)
    assert handler.received == []


def test_no_server_is_transient(certificates: Certificates) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(TransientDeliveryError, match="cannot reach"):
        sender_for(f"smtp://127.0.0.1:{closed_port}", certificates).send(MAIL)


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_a_server_that_does_not_answer_in_time_is_transient(
    scheme: str, certificates: Certificates
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"{scheme}://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(TransientDeliveryError):
            sender_for(url, certificates, timeout_seconds=0.2).send(MAIL)


def test_a_server_that_offers_no_starttls_gets_nothing_and_it_is_transient(
    certificates: Certificates,
) -> None:
    """No TLS offered: the session is not set up (our configuration or the server's, not
    this message's), and nothing goes out in clear."""
    handler = RecordingHandler()
    with (
        smtp_server(handler) as port,
        pytest.raises(TransientDeliveryError, match=r"set-up.*STARTTLS"),
    ):
        sender_for(f"smtp://127.0.0.1:{port}", certificates).send(MAIL)
    assert handler.received == []


class _Accounts:
    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"briefs@manyfutures.example",
            PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


# The URL's percent-encoded login: "briefs@manyfutures.example" / PASSWORD.
LOGIN = "briefs%40manyfutures.example:s3cr%3Aet%2F%40%25"
WRONG_LOGIN = "briefs%40manyfutures.example:wrong%2Fpassword"


@pytest.mark.parametrize(("login", "delivered"), [(LOGIN, 1), (WRONG_LOGIN, 0)])
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_login_with_the_account_in_the_url(
    scheme: str,
    login: str,
    delivered: int,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = RecordingHandler()
    tls = certificates.implicit_tls() if scheme == "smtps" else certificates.starttls()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS all the same.
    accounts = {"authenticator": _Accounts(), "auth_require_tls": scheme == "smtp"}
    with (
        caplog.at_level(logging.DEBUG, logger="manyfutures"),
        smtp_server(handler, **tls, **accounts) as port,
    ):
        sender = sender_for(f"{scheme}://{login}@127.0.0.1:{port}", certificates)
        if delivered:
            sender.send(MAIL)
        else:
            # A 535 while logging in: set-up, so transient (a password fixed later works).
            with pytest.raises(TransientDeliveryError, match="535") as refused:
                sender.send(MAIL)
            assert "wrong" not in str(refused.value)
    assert len(handler.received) == delivered
    assert f"{scheme}://briefs%40manyfutures.example@127.0.0.1:{port}" in caplog.text
    for secret in (PASSWORD, "s3cr", "wrong"):
        assert secret not in caplog.text


def test_the_message_id_domain_comes_from_the_from_address() -> None:
    assert sender_domain("Many Futures <briefs@mail.manyfutures.example>") == (
        "mail.manyfutures.example"
    )
    with pytest.raises(ValueError, match="not an email address"):
        sender_domain("Many Futures")
